// Package hivetest is an in-process stand-in for TheHive: it serves, on
// loopback, every route package hive uses, for API v1 (TheHive 5) and the
// v0 legacy routes (TheHive 4), with TheHive's status codes and error
// bodies, and adds fault injection and inspection for tests.
//
// It is not TheHive: it keeps everything in memory, knows only cases,
// observables (files included, uploaded as multipart/form-data), tasks,
// task logs and alerts, and answers the query API only for listCase and
// for a case's observables and tasks, filtered on a few fields. It is good enough for drone's tests
// and for pointing a local drone at (see cmd/hivetest).
package hivetest

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultDataTypes are TheHive's default observable data types.
var DefaultDataTypes = []string{"url", "other", "user-agent", "regexp", "mail-subject", "registry",
	"mail", "autonomous-system", "domain", "ip", "uri_path", "filename", "hash", "fqdn", "hostname", "file"}

// Options configures a Server; the zero value is ready to use.
type Options struct {
	// Addr is where NewServer listens. Defaults to 127.0.0.1:0.
	Addr string
	// TLS serves HTTPS with httptest's self-signed certificate (see
	// Server.Certificate). Defaults to plain HTTP.
	TLS bool
	// Key is the API key accepted as a Bearer token. Defaults to a random key.
	Key string
	// Organisation is the only organisation X-Organisation may name.
	// Defaults to "drone".
	Organisation string
	// Login and Name are the key's user. Default to drone@thehive.local and
	// "drone".
	Login, Name string
	// Version is the TheHive version /api/status reports. Defaults to 5.4.0.
	Version string
	// DataTypes are the known observable data types. Defaults to
	// DefaultDataTypes.
	DataTypes []string
	// CustomFields are the internal names of the known custom fields; any
	// other gets 404. Defaults to none.
	CustomFields []string
	// CaseTemplates are the names of the known case templates. Defaults to
	// none.
	CaseTemplates []string
	// Users are logins that may be assignees, besides Login. Defaults to none.
	Users []string
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Key == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b) // crypto/rand.Read never fails
		o.Key = hex.EncodeToString(b)
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.Organisation, "drone")
	def(&o.Login, "drone@thehive.local")
	def(&o.Name, "drone")
	def(&o.Version, "5.4.0")
	if o.DataTypes == nil {
		o.DataTypes = DefaultDataTypes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Server is a running stand-in. Its methods are safe for concurrent use.
type Server struct {
	opts      Options
	mux       *http.ServeMux
	public    map[string]bool
	dataTypes map[string]bool
	fields    map[string]bool
	templates map[string]bool
	users     map[string]bool

	mu     sync.Mutex
	st     state
	faults faults
	reqs   map[requestKey]int

	url       string
	cert      *x509.Certificate
	closeOnce sync.Once
	closeFn   func()
}

// New starts a server for a test and closes it when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := NewServer(opts)
	if err != nil {
		tb.Fatalf("hivetest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// NewServer starts a server on opts.Addr; Close stops it.
func NewServer(opts Options) (*Server, error) {
	s := newServer(opts.withDefaults())
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", s.opts.Addr, err)
	}
	if s.opts.TLS {
		hs := httptest.NewUnstartedServer(s)
		_ = hs.Listener.Close()
		hs.Listener = ln
		hs.Config.ErrorLog = quietLog
		hs.StartTLS()
		s.url, s.cert, s.closeFn = hs.URL, hs.Certificate(), hs.Close
		return s, nil
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: quietLog}
	go func() { _ = hs.Serve(ln) }()
	s.url = "http://" + ln.Addr().String()
	s.closeFn = func() { _ = hs.Close() }
	return s, nil
}

func newServer(opts Options) *Server {
	s := &Server{
		opts:      opts,
		mux:       http.NewServeMux(),
		public:    map[string]bool{},
		dataTypes: set(opts.DataTypes),
		fields:    set(opts.CustomFields),
		templates: set(opts.CaseTemplates),
		users:     set(append([]string{opts.Login}, opts.Users...)),
		st:        newState(),
		reqs:      map[requestKey]int{},
	}
	s.routes()
	return s
}

func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, v := range list {
		m[v] = true
	}
	return m
}

// URL returns the base URL, such as http://127.0.0.1:41234.
func (s *Server) URL() string { return s.url }

// Key returns the API key the server accepts.
func (s *Server) Key() string { return s.opts.Key }

// Organisation returns the organisation the server knows.
func (s *Server) Organisation() string { return s.opts.Organisation }

// Certificate returns the certificate of a TLS server, or nil.
func (s *Server) Certificate() *x509.Certificate { return s.cert }

// Close stops the server and closes its connections.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		if s.closeFn != nil {
			s.closeFn()
		}
	})
}

// quietLog drops net/http's server log: refused TLS handshakes are what
// the TLS tests are after.
var quietLog = log.New(io.Discard, "", 0)

const (
	v1 = "v1"
	v0 = "v0"
)

// apiHandler serves one route for one API version.
type apiHandler func(api string, w http.ResponseWriter, r *http.Request)

func (s *Server) routes() {
	both := func(method, p1, p0 string, h apiHandler) {
		s.mux.HandleFunc(method+" "+p1, func(w http.ResponseWriter, r *http.Request) { h(v1, w, r) })
		s.mux.HandleFunc(method+" "+p0, func(w http.ResponseWriter, r *http.Request) { h(v0, w, r) })
	}
	both("POST", "/api/v1/case", "/api/case", s.createCase)
	both("GET", "/api/v1/case/{id}", "/api/case/{id}", s.getCase)
	both("PATCH", "/api/v1/case/{id}", "/api/case/{id}", s.updateCase)
	both("POST", "/api/v1/case/{id}/observable", "/api/case/{id}/artifact", s.createObservables)
	both("POST", "/api/v1/case/{id}/task", "/api/case/{id}/task", s.createTask)
	both("POST", "/api/v1/task/{id}/log", "/api/case/task/{id}/log", s.createTaskLog)
	both("PATCH", "/api/v1/task/{id}", "/api/case/task/{id}", s.updateTask)
	both("POST", "/api/v1/alert", "/api/alert", s.createAlert)
	both("POST", "/api/v1/alert/{id}/case", "/api/alert/{id}/createCase", s.promoteAlert)
	both("GET", "/api/v1/user/current", "/api/user/current", s.currentUser)
	both("GET", "/api/v1/status", "/api/status", s.status)
	s.mux.HandleFunc("POST /api/v1/query", func(w http.ResponseWriter, r *http.Request) { s.queryV1(w, r) })
	s.mux.HandleFunc("POST /api/case/_search", func(w http.ResponseWriter, r *http.Request) { s.searchV0(w, r) })
	s.mux.HandleFunc("POST /api/case/artifact/_search", s.searchObservablesV0)
	s.mux.HandleFunc("POST /api/case/task/_search", s.searchTasksV0)
	s.public["GET /api/v1/status"], s.public["GET /api/status"] = true, true
}

// ServeHTTP answers like TheHive: faults first, then authentication, then
// the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	s.record(r.Method, r.URL.Path, pattern)
	if !s.delay(r) {
		return
	}
	if status, ok := s.takeFailure(); ok {
		writeInjected(w, status)
		return
	}
	if pattern == "" || s.isDisabled(pattern) {
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("%s %s not found", r.Method, r.URL.Path))
		return
	}
	if !s.public[pattern] && !s.authorised(w, r) {
		return
	}
	buf := newBufferedWriter()
	s.mux.ServeHTTP(buf, r) // sets the path values
	if s.takeDrop() {
		dropConnection(w)
		return
	}
	buf.flushTo(w)
}

// authorised checks the key and the organisation, answering when they fail.
func (s *Server) authorised(w http.ResponseWriter, r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || key != s.opts.Key {
		writeError(w, http.StatusUnauthorized, "AuthenticationError", "Authentication failure")
		return false
	}
	if org := r.Header.Get("X-Organisation"); org != "" && org != s.opts.Organisation {
		writeError(w, http.StatusForbidden, "AuthorizationError",
			fmt.Sprintf("User %s is not a member of organisation %s", s.opts.Login, org))
		return false
	}
	return true
}

// errNotFound and friends are the answers handlers share.
type apiError struct {
	status       int
	typ, message string
}

func (e *apiError) Error() string { return e.typ + ": " + e.message }

func notFound(what, id string) error {
	return &apiError{http.StatusNotFound, "NotFoundError", fmt.Sprintf("%s %s not found", what, id)}
}

func attributeError(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, "AttributeCheckingError", fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, "BadRequest", fmt.Sprintf(format, args...)}
}

// fail writes err as TheHive's error body.
func fail(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeError(w, ae.status, ae.typ, ae.message)
		return
	}
	writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
}
