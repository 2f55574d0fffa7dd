// Package jiratest is an in-process stand-in for Jira: it serves, on
// loopback, the routes package jira uses, as Jira Cloud (REST API v3 and
// v2, basic authentication with an e-mail and an API token) or Data Center
// (REST API v2 only, a personal access token as a bearer token), with
// Jira's status codes and error bodies, and adds fault injection and
// inspection for tests.
//
// It is not Jira: it keeps issues in memory, knows one project with a
// three-status workflow (To Do, In Progress, Done) in which every status
// can be reached from every other, and understands only the JQL drone
// writes: clauses on project, labels and updated joined by AND, and an
// ORDER BY created.
package jiratest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ttp0/drone/tracker/trackertest"
)

// Flavours the stand-in plays.
const (
	Cloud      = "cloud"
	DataCenter = "datacenter"
)

// Options configures a Server; the zero value is ready to use.
type Options struct {
	// Flavour is Cloud (the default) or DataCenter.
	Flavour string
	// Email and Token are the accepted credentials: basic authentication
	// on Cloud, Token alone as a bearer token on Data Center. Default to
	// drone@example.org and a fixed token.
	Email, Token string
	// Project is the one project's key. Defaults to SEC.
	Project string
	// IssueTypes are the project's issue types. Default to Task and Bug.
	IssueTypes []string
	// Now is the clock of created and updated times. Defaults to time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.Flavour, Cloud)
	def(&o.Email, "drone@example.org")
	def(&o.Token, "jiratest-token")
	def(&o.Project, "SEC")
	if o.IssueTypes == nil {
		o.IssueTypes = []string{"Task", "Bug"}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Server is a running stand-in. Its methods are safe for concurrent use.
type Server struct {
	opts Options
	mux  *http.ServeMux
	url  string
	hs   *http.Server

	// Faults injects failures and counts requests by route pattern, such
	// as "POST /rest/api/3/issue".
	trackertest.Faults

	mu     sync.Mutex
	issues []*Issue
}

// New starts a server for a test on 127.0.0.1 and closes it when the test
// ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := NewServer("127.0.0.1:0", opts)
	if err != nil {
		tb.Fatalf("jiratest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// NewServer starts a server on addr; Close stops it.
func NewServer(addr string, opts Options) (*Server, error) {
	s := &Server{opts: opts.withDefaults(), mux: http.NewServeMux()}
	s.routes()
	var err error
	if s.url, s.hs, err = trackertest.Serve(addr, s); err != nil {
		return nil, err
	}
	return s, nil
}

// URL returns the base URL, such as http://127.0.0.1:41234.
func (s *Server) URL() string { return s.url }

// Email and Token return the accepted credentials.
func (s *Server) Email() string { return s.opts.Email }

// Token returns the accepted API token or personal access token.
func (s *Server) Token() string { return s.opts.Token }

// Project returns the project's key.
func (s *Server) Project() string { return s.opts.Project }

// Close stops the server and closes its connections.
func (s *Server) Close() { _ = s.hs.Close() }

func (s *Server) routes() {
	versions := []string{"2"}
	if s.opts.Flavour == Cloud {
		versions = append(versions, "3")
		s.mux.HandleFunc("POST /rest/api/3/search/jql", s.searchJQL)
	} else {
		s.mux.HandleFunc("POST /rest/api/2/search", s.searchStartAt)
	}
	for _, v := range versions {
		api := "/rest/api/" + v
		s.mux.HandleFunc("POST "+api+"/issue", func(w http.ResponseWriter, r *http.Request) { s.createIssue(v, w, r) })
		s.mux.HandleFunc("GET "+api+"/issue/{key}", s.getIssue)
		s.mux.HandleFunc("PUT "+api+"/issue/{key}", s.editIssue)
		s.mux.HandleFunc("GET "+api+"/issue/{key}/transitions", s.transitions)
		s.mux.HandleFunc("POST "+api+"/issue/{key}/transitions", s.doTransition)
		s.mux.HandleFunc("GET "+api+"/myself", s.myself)
		s.mux.HandleFunc("GET "+api+"/serverInfo", s.serverInfo)
		s.mux.HandleFunc("GET "+api+"/project/{key}", s.project)
	}
}

// ServeHTTP answers like Jira: the injected latency and faults first, then
// authentication, then the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Faults.Serve(trackertest.Stand{Mux: s.mux, Authorised: s.authorised,
		Refuse: func(w http.ResponseWriter) {
			// Jira answers refused credentials with a 401 and no JSON body.
			w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
			w.WriteHeader(http.StatusUnauthorized)
		},
		Error: func(w http.ResponseWriter, status int, msg string) { writeErrors(w, status, "jiratest: "+msg) }}, w, r)
}

func (s *Server) authorised(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	if s.opts.Flavour == DataCenter {
		return auth == "Bearer "+s.opts.Token
	}
	want := base64.StdEncoding.EncodeToString([]byte(s.opts.Email + ":" + s.opts.Token))
	return auth == "Basic "+want
}

// writeErrors writes Jira's error body.
func writeErrors(w http.ResponseWriter, status int, messages ...string) {
	writeJSON(w, status, map[string]any{"errorMessages": messages, "errors": map[string]string{}})
}

func writeFieldErrors(w http.ResponseWriter, status int, fields map[string]string) {
	writeJSON(w, status, map[string]any{"errorMessages": []string{}, "errors": fields})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
