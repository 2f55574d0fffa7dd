package cortextest

import (
	"bytes"
	"net/http"
	"time"
)

// faults holds the faults to inject; guarded by Server.mu. A fault's
// pattern is a route ("POST /api/analyzer/{id}/run"), or "" for any.
type faults struct {
	fail    []failure
	drop    map[string]int
	slow    []slowness
	latency time.Duration
}

type slowness struct {
	pattern string
	n       int
	d       time.Duration
}

// SlowNext makes the next n authenticated requests to pattern do their
// work, then hold the answer for d: a client that gives up first has its
// work done all the same.
func (s *Server) SlowNext(pattern string, n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.slow = append(s.faults.slow, slowness{pattern, n, d})
}

func (s *Server) takeSlow(pattern string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults.slow {
		f := &s.faults.slow[i]
		if f.n > 0 && (f.pattern == "" || f.pattern == pattern) {
			f.n--
			return f.d
		}
	}
	return 0
}

type failure struct {
	pattern string
	n       int
	status  int
}

// FailNext makes the next n requests to pattern ("" for any route) fail
// with status before any work, with Cortex's error body; a 429 carries
// Retry-After: 1.
func (s *Server) FailNext(pattern string, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.fail = append(s.faults.fail, failure{pattern, n, status})
}

// DropAfterWork makes the next n authenticated requests to pattern do
// their work, then close the connection without answering, as a crash or
// a proxy's timeout after the commit would.
func (s *Server) DropAfterWork(pattern string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.drop == nil {
		s.faults.drop = map[string]int{}
	}
	s.faults.drop[pattern] += n
}

// Latency delays every request by d, until called again with 0.
func (s *Server) Latency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.latency = d
}

func (s *Server) delay(r *http.Request) bool {
	s.mu.Lock()
	d := s.faults.latency
	s.mu.Unlock()
	return wait(r, d)
}

// wait waits d; false when the request ended first.
func wait(r *http.Request, d time.Duration) bool {
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

func (s *Server) takeFailure(pattern string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults.fail {
		f := &s.faults.fail[i]
		if f.n > 0 && (f.pattern == "" || f.pattern == pattern) {
			f.n--
			return f.status, true
		}
	}
	return 0, false
}

func (s *Server) takeDrop(pattern string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range []string{pattern, ""} {
		if s.faults.drop[p] > 0 {
			s.faults.drop[p]--
			return true
		}
	}
	return false
}

// dropConnection closes the connection without a response.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// bufferedWriter holds an answer until the server decides to send or drop it.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

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
