// Package cortextest is an in-process stand-in for Cortex 3: it serves, on
// loopback, the routes package cortex uses (analyzers listed and searched,
// run, jobs searched, waitreport), with Cortex's bodies, status codes and
// Bearer authentication, and adds fault injection and inspection for
// tests: failures before the work (429 with Retry-After, 5xx), answers
// lost or late after it, latency, jobs kept running, and what each analyzer was
// given.
//
// It is not Cortex: it keeps everything in memory, runs no analyzer (each
// job's report is the one the test set, or a default one), has no job
// cache and no organisations.
package cortextest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Analyzer is an analyzer enabled on the stand-in.
type Analyzer struct {
	// ID defaults to 32 hex digits derived from Name, as Cortex's look.
	ID        string
	Name      string
	DataTypes []string
}

// Options configures a Server; the zero value is ready to use.
type Options struct {
	// Addr is where New listens. Defaults to 127.0.0.1:0.
	Addr string
	// Key is the API key accepted as a Bearer token. Defaults to a random key.
	Key string
	// Analyzers are the enabled analyzers. Defaults to none.
	Analyzers []Analyzer
	// Now is the clock of the jobs' dates. Defaults to time.Now.
	Now func() time.Time
}

// Taxonomy is one finding of a report's summary.
type Taxonomy struct {
	Level     string `json:"level"`
	Namespace string `json:"namespace"`
	Predicate string `json:"predicate"`
	Value     any    `json:"value"`
}

// Report is what a job of an analyzer on a datum ends with.
type Report struct {
	Taxonomies []Taxonomy
	// Full is the full report; defaults to {"data": <datum>}.
	Full any
	// Failure, when set, makes the job fail with this error message.
	Failure string
}

// Run is a job the stand-in was asked to start.
type Run struct {
	JobID        string
	AnalyzerID   string
	AnalyzerName string
	DataType     string
	Data         string
	TLP, PAP     int
	Message      string
}

// Server is a running stand-in. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	mux  *http.ServeMux
	url  string
	stop func()

	mu        sync.Mutex
	analyzers []Analyzer
	reports   map[string]Report // by analyzer name + "\x00" + data
	jobs      []*job
	runs      []Run
	polls     int  // waitreports a new job answers InProgress to
	held      bool // every job stays InProgress until Release
	released  chan struct{}
	faults    faults
	counts    map[string]int
}

type job struct {
	Run
	status  string
	pending int
	created time.Time
	report  Report
}

// New starts a server for a test and closes it when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := NewServer(opts)
	if err != nil {
		tb.Fatalf("cortextest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// NewServer starts a server on opts.Addr; Close stops it.
func NewServer(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Key == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b) // crypto/rand.Read never fails
		opts.Key = hex.EncodeToString(b)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), reports: map[string]Report{}, counts: map[string]int{},
		released: make(chan struct{})}
	for _, a := range opts.Analyzers {
		s.analyzers = append(s.analyzers, withID(a))
	}
	s.routes()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", opts.Addr, err)
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = hs.Serve(ln) }()
	s.url = "http://" + ln.Addr().String()
	s.stop = func() { _ = hs.Close() }
	return s, nil
}

func withID(a Analyzer) Analyzer {
	if a.ID == "" {
		// Cortex's ids are 32 hex digits; derive one from the name.
		sum := sha256.Sum256([]byte(a.Name))
		a.ID = hex.EncodeToString(sum[:16])
	}
	return a
}

// URL returns the base URL, such as http://127.0.0.1:41234.
func (s *Server) URL() string { return s.url }

// Key returns the API key the server accepts.
func (s *Server) Key() string { return s.opts.Key }

// Close stops the server and closes its connections; it releases held jobs.
func (s *Server) Close() {
	s.Release()
	s.stop()
}

// SetReport sets the report of the jobs of analyzer (its name) on data.
func (s *Server) SetReport(analyzer, data string, r Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports[analyzer+"\x00"+data] = r
}

// AnalyzerID returns the id of an analyzer by name, or "".
func (s *Server) AnalyzerID(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.analyzers {
		if a.Name == name {
			return a.ID
		}
	}
	return ""
}

// KeepRunning makes every job started from now on answer InProgress to
// its first n waitreports.
func (s *Server) KeepRunning(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls = n
}

// Hold keeps every job InProgress until Release; a waitreport on a held
// job waits up to its atMost, as Cortex does.
func (s *Server) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.held {
		s.held, s.released = true, make(chan struct{})
	}
}

// Release lets held jobs finish.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held {
		s.held = false
		close(s.released)
	}
}

// Runs returns the jobs started, oldest first.
func (s *Server) Runs() []Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Run(nil), s.runs...)
}

// Received returns, per analyzer name, the data it was given, in order.
func (s *Server) Received() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]string{}
	for _, r := range s.runs {
		out[r.AnalyzerName] = append(out[r.AnalyzerName], r.Data)
	}
	return out
}

// Count returns how many requests matched a route pattern, such as
// "POST /api/analyzer/{id}/run", faults included.
func (s *Server) Count(pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[pattern]
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /api/analyzer", s.listAnalyzers)
	s.mux.HandleFunc("POST /api/analyzer/_search", s.searchAnalyzers)
	s.mux.HandleFunc("GET /api/analyzer/type/{dataType}", s.analyzersForType)
	s.mux.HandleFunc("POST /api/analyzer/{id}/run", s.run)
	s.mux.HandleFunc("POST /api/job/_search", s.searchJobs)
	s.mux.HandleFunc("GET /api/job/{id}", s.getJob)
	s.mux.HandleFunc("GET /api/job/{id}/waitreport", s.waitReport)
}

// ServeHTTP answers like Cortex: faults first, then authentication, then
// the route, whose answer an injected fault may lose.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	s.mu.Lock()
	s.counts[pattern]++
	s.mu.Unlock()
	if !s.delay(r) {
		return
	}
	if status, ok := s.takeFailure(pattern); ok {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		writeError(w, status, errorType(status), "cortextest: injected failure")
		return
	}
	if pattern == "" {
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("%s %s not found", r.Method, r.URL.Path))
		return
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || key != s.opts.Key {
		writeError(w, http.StatusUnauthorized, "AuthenticationError", "Authentication failure")
		return
	}
	buf := &bufferedWriter{header: http.Header{}}
	s.mux.ServeHTTP(buf, r)
	if s.takeDrop(pattern) {
		dropConnection(w)
		return
	}
	if !wait(r, s.takeSlow(pattern)) {
		return // the client gave up; the work is done
	}
	buf.flushTo(w)
}

func (s *Server) findAnalyzer(id string) (Analyzer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.analyzers {
		if a.ID == id || a.Name == id {
			return a, true
		}
	}
	return Analyzer{}, false
}

// analyzerJSON is Cortex 3's rendering of an enabled analyzer (a worker).
func analyzerJSON(a Analyzer) map[string]any {
	return map[string]any{"id": a.ID, "name": a.Name, "version": "1.0", "workerDefinitionId": a.Name,
		"analyzerDefinitionId": a.Name, "dataTypeList": a.DataTypes, "type": "analyzer",
		"description": "cortextest analyzer", "author": "cortextest", "license": "AGPL-V3",
		"baseConfig": strings.SplitN(a.Name, "_", 2)[0], "jobCache": nil}
}

func (s *Server) allAnalyzers(keep func(Analyzer) bool) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, a := range s.analyzers {
		if keep(a) {
			out = append(out, analyzerJSON(a))
		}
	}
	return out
}

func (s *Server) listAnalyzers(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.allAnalyzers(func(Analyzer) bool { return true }))
}

func (s *Server) analyzersForType(w http.ResponseWriter, r *http.Request) {
	dt := r.PathValue("dataType")
	writeJSON(w, http.StatusOK, s.allAnalyzers(func(a Analyzer) bool { return contains(a.DataTypes, dt) }))
}

func (s *Server) searchAnalyzers(w http.ResponseWriter, r *http.Request) {
	q, err := readQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	all := s.allAnalyzers(func(Analyzer) bool { return true })
	writeJSON(w, http.StatusOK, page(filter(all, q), r))
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func errorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "BadRequest"
	case http.StatusUnauthorized:
		return "AuthenticationError"
	case http.StatusNotFound:
		return "NotFoundError"
	case http.StatusTooManyRequests:
		return "RateLimitExceeded"
	}
	return "InternalError"
}

func writeError(w http.ResponseWriter, status int, typ, message string) {
	writeJSON(w, status, map[string]string{"type": typ, "message": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
