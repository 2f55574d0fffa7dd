// Package servicenowtest is an in-process stand-in for a ServiceNow
// instance's Table API: it serves, on loopback, the routes package
// servicenow uses (listing a table with an encoded query, reading,
// inserting and patching a record), with ServiceNow's status codes and
// {"error": {"message", "detail"}} bodies, and adds fault injection and
// inspection for tests.
//
// It is not ServiceNow: it keeps records in memory as strings, knows the
// configured tables plus sys_user and sys_user_group, and understands
// only the encoded queries drone writes: conditions with =, STARTSWITH
// and RELATIVEGE@minute@ago@N joined by ^, and ORDERBY. Where ServiceNow
// ignores a condition it does not understand, the stand-in answers 400,
// so that a mistake in drone's query shows. It enforces the incident
// table's data policy: resolving or closing needs close_code and
// close_notes.
package servicenowtest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttp0/drone/tracker/trackertest"
)

// Options configures a Server; the zero value is ready to use.
type Options struct {
	// User and Password are accepted with basic authentication; Token as a
	// bearer token. Default to drone, a fixed password and a fixed token.
	User, Password, Token string
	// Tables are the tables records may be filed in. Default to incident.
	Tables []string
	// Groups are the assignment groups' sys_ids, by name. Default to one
	// group, SOC.
	Groups map[string]string
	// Now is the clock of sys_created_on and sys_updated_on. Defaults to
	// time.Now.
	Now func() time.Time
}

// SOCGroup is the sys_id of the default group, SOC.
const SOCGroup = "2a8d1f5c1b7a1010a1b2c3d4e5f60718"

func (o Options) withDefaults() Options {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.User, "drone")
	def(&o.Password, "servicenowtest-password")
	def(&o.Token, "servicenowtest-token")
	if o.Tables == nil {
		o.Tables = []string{"incident"}
	}
	if o.Groups == nil {
		o.Groups = map[string]string{"SOC": SOCGroup}
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

	// Faults injects failures and counts requests by route pattern:
	// "GET /api/now/table/{table}", "POST /api/now/table/{table}",
	// "GET /api/now/table/{table}/{sys_id}", "PATCH /api/now/table/{table}/{sys_id}".
	trackertest.Faults

	mu      sync.Mutex
	records map[string][]Record // by table
	seq     int
}

// New starts a server for a test on 127.0.0.1 and closes it when the test
// ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := NewServer("127.0.0.1:0", opts)
	if err != nil {
		tb.Fatalf("servicenowtest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// NewServer starts a server on addr; Close stops it.
func NewServer(addr string, opts Options) (*Server, error) {
	s := &Server{opts: opts.withDefaults(), mux: http.NewServeMux(), records: map[string][]Record{}}
	s.mux.HandleFunc("GET /api/now/table/{table}", s.list)
	s.mux.HandleFunc("POST /api/now/table/{table}", s.insert)
	s.mux.HandleFunc("GET /api/now/table/{table}/{sys_id}", s.get)
	s.mux.HandleFunc("PATCH /api/now/table/{table}/{sys_id}", s.patch)
	var err error
	if s.url, s.hs, err = trackertest.Serve(addr, s); err != nil {
		return nil, err
	}
	return s, nil
}

// URL returns the base URL, such as http://127.0.0.1:41234.
func (s *Server) URL() string { return s.url }

// User returns the accepted user name; Password its password.
func (s *Server) User() string { return s.opts.User }

// Password returns the accepted password.
func (s *Server) Password() string { return s.opts.Password }

// Token returns the accepted bearer token.
func (s *Server) Token() string { return s.opts.Token }

// Close stops the server and closes its connections.
func (s *Server) Close() { _ = s.hs.Close() }

// ServeHTTP answers like the Table API: the injected latency and faults
// first, then authentication, then the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Faults.Serve(trackertest.Stand{Mux: s.mux, Authorised: s.authorised,
		Refuse: func(w http.ResponseWriter) {
			writeError(w, http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
		},
		Error: func(w http.ResponseWriter, status int, msg string) { writeError(w, status, "servicenowtest: "+msg, "") }}, w, r)
}

func (s *Server) authorised(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	basic := base64.StdEncoding.EncodeToString([]byte(s.opts.User + ":" + s.opts.Password))
	return auth == "Basic "+basic || auth == "Bearer "+s.opts.Token
}

// writeError writes the Table API's error body.
func writeError(w http.ResponseWriter, status int, message, detail string) {
	var d any
	if detail != "" {
		d = detail
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": message, "detail": d}, "status": "failure"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// numberPrefix is the prefix of a table's record numbers.
func numberPrefix(table string) string {
	switch table {
	case "incident":
		return "INC"
	case "sn_si_task":
		return "SIT"
	case "sn_si_incident":
		return "SIR"
	}
	return strings.ToUpper(table[:min(4, len(table))])
}
