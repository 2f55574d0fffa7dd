// Package trackertest holds what the stand-ins of issue trackers
// (jiratest, servicenowtest) share: injected faults (failures before
// authentication, 429s with Retry-After, answers lost after the work was
// done, latency) and the count of requests per route.
package trackertest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// fault is one injected failure, for requests of one route pattern ("" for
// any route).
type fault struct {
	pattern    string
	n          int
	status     int
	retryAfter string
	lose       bool
	skip       int           // requests let through before a hold
	held       chan struct{} // closed when the held request's work is done
}

// Faults injects failures into a stand-in and counts its requests. Its
// zero value is ready to use; its methods are safe for concurrent use.
type Faults struct {
	mu     sync.Mutex
	faults []*fault
	delay  time.Duration
	reqs   map[string]int
}

// Fail makes the next n requests of pattern (a route such as "POST
// /rest/api/3/issue", or "" for any) fail with status before
// authentication. A 429 carries Retry-After: 1.
func (f *Faults) Fail(pattern string, n, status int) {
	ra := ""
	if status == http.StatusTooManyRequests {
		ra = "1"
	}
	f.add(&fault{pattern: pattern, n: n, status: status, retryAfter: ra})
}

// RateLimit makes the next n requests of pattern answer 429 with a
// Retry-After of wait, in whole seconds.
func (f *Faults) RateLimit(pattern string, n int, wait time.Duration) {
	f.add(&fault{pattern: pattern, n: n, status: http.StatusTooManyRequests, retryAfter: strconv.Itoa(int(wait / time.Second))})
}

// LoseResponse makes the next n authenticated requests of pattern do their
// work, then close the connection without answering, as a proxy timeout or
// a crash after the commit would.
func (f *Faults) LoseResponse(pattern string, n int) {
	f.add(&fault{pattern: pattern, n: n, lose: true})
}

// Hold lets skip authenticated requests of pattern through, then makes
// the next one do its work and never answer: it waits until the client
// goes away (killed, or timed out). The returned channel is closed once
// that request's work is done, so a test can kill drone right then.
func (f *Faults) Hold(pattern string, skip int) <-chan struct{} {
	held := make(chan struct{})
	f.add(&fault{pattern: pattern, n: 1, skip: skip, held: held})
	return held
}

// Latency delays every request by d, until called again with 0.
func (f *Faults) Latency(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// Count returns how many requests matched a route pattern.
func (f *Faults) Count(pattern string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[pattern]
}

func (f *Faults) add(x *fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, x)
}

// take returns the first fault for pattern and uses it up.
func (f *Faults) take(pattern string) *fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.faults {
		if x.pattern != "" && x.pattern != pattern {
			continue
		}
		if x.skip > 0 {
			x.skip--
			return nil
		}
		x.n--
		if x.n <= 0 {
			f.faults = append(f.faults[:i], f.faults[i+1:]...)
		}
		return x
	}
	return nil
}

// Stand is what a stand-in tells Serve about itself.
type Stand struct {
	// Mux routes the requests; the pattern it matches names the route for
	// faults and counts.
	Mux *http.ServeMux
	// Authorised checks a request's credentials.
	Authorised func(*http.Request) bool
	// Refuse answers a request whose credentials were refused.
	Refuse func(http.ResponseWriter)
	// Error writes the tracker's error body.
	Error func(w http.ResponseWriter, status int, message string)
}

// Serve answers a request as the stand-in would, with the faults applied:
// latency first, then an injected failure, then authentication, then the
// route, whose answer is dropped when a lost answer was asked for.
func (f *Faults) Serve(st Stand, w http.ResponseWriter, r *http.Request) {
	_, pattern := st.Mux.Handler(r)
	f.mu.Lock()
	if f.reqs == nil {
		f.reqs = map[string]int{}
	}
	f.reqs[pattern]++
	delay := f.delay
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	x := f.take(pattern)
	if x != nil && x.status != 0 {
		if x.retryAfter != "" {
			w.Header().Set("Retry-After", x.retryAfter)
		}
		st.Error(w, x.status, "injected failure")
		return
	}
	if pattern == "" {
		st.Error(w, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path)
		return
	}
	if !st.Authorised(r) {
		st.Refuse(w)
		return
	}
	if x != nil && x.held != nil {
		st.Mux.ServeHTTP(&discard{header: http.Header{}}, r)
		close(x.held)
		<-r.Context().Done() // the client went away
		return
	}
	if x != nil && x.lose {
		st.Mux.ServeHTTP(&discard{header: http.Header{}}, r) // the work is done; the answer is lost
		dropConnection(w)
		return
	}
	st.Mux.ServeHTTP(w, r)
}

// discard is a ResponseWriter whose answer nobody reads.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// dropConnection closes the connection without an answer.
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
