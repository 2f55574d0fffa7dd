package hivetest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"time"
)

// faults holds the faults to inject; guarded by Server.mu.
type faults struct {
	failN      int
	failStatus int
	dropN      int
	latency    time.Duration
	disabled   map[string]bool
}

// FailNext makes the next n requests fail with status, before any
// authentication, with a TheHive error body (and Retry-After: 1 on 429).
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failN, s.faults.failStatus = n, status
}

// DropResponseAfterCommit makes the next n authenticated requests do their
// work, then close the connection without answering, as a crash or a proxy
// timeout after the commit would.
func (s *Server) DropResponseAfterCommit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.dropN = n
}

// Latency delays every request by d, until called again with 0.
func (s *Server) Latency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.latency = d
}

// DisableRoute makes a route answer 404 as if TheHive lacked it; pattern is
// the route's method and path pattern, such as "GET /api/v1/status".
func (s *Server) DisableRoute(pattern string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.disabled == nil {
		s.faults.disabled = map[string]bool{}
	}
	s.faults.disabled[pattern] = true
}

func (s *Server) isDisabled(pattern string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.disabled[pattern]
}

// delay waits the injected latency; false when the request ended first.
func (s *Server) delay(r *http.Request) bool {
	s.mu.Lock()
	d := s.faults.latency
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func (s *Server) takeFailure() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.failN <= 0 {
		return 0, false
	}
	s.faults.failN--
	return s.faults.failStatus, true
}

func (s *Server) takeDrop() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.dropN <= 0 {
		return false
	}
	s.faults.dropN--
	return true
}

// dropConnection closes the connection without a response.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: resets the stream
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func writeInjected(w http.ResponseWriter, status int) {
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	writeError(w, status, errorType(status), "hivetest: injected failure")
}

// errorType is TheHive's error type for a status.
func errorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "BadRequest"
	case http.StatusUnauthorized:
		return "AuthenticationError"
	case http.StatusForbidden:
		return "AuthorizationError"
	case http.StatusNotFound:
		return "NotFoundError"
	case http.StatusTooManyRequests:
		return "TooManyRequests"
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

// bufferedWriter holds an answer until the server decides to send or drop it.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedWriter() *bufferedWriter { return &bufferedWriter{header: http.Header{}} }

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

func (b *bufferedWriter) flushTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	b.WriteHeader(http.StatusOK)
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

// Request counts the requests the server received for one method and path.
type Request struct {
	Method, Path string
	// Pattern is the route that matched, such as "POST /api/v1/case"; empty
	// for none.
	Pattern string
	Count   int
}

type requestKey struct{ method, path, pattern string }

func (s *Server) record(method, path, pattern string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs[requestKey{method, path, pattern}]++
}

// Requests returns the requests received so far, sorted by path and method.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, 0, len(s.reqs))
	for k, n := range s.reqs {
		out = append(out, Request{Method: k.method, Path: k.path, Pattern: k.pattern, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// Count returns how many requests matched a route pattern, such as
// "POST /api/v1/case".
func (s *Server) Count(pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, c := range s.reqs {
		if k.pattern == pattern {
			n += c
		}
	}
	return n
}
