package web

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/ttp0/drone/drone"
)

// hub fans the changes the console learns of out to the open pages: one
// goroutine (Run) polls the change feed, and each page's event stream
// subscribes here. A subscriber hears only of incidents it may see.
type hub struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	incident int64 // 0: any incident (the board)
	sees     func(*drone.Incident) bool
	ch       chan int64 // numbers of changed incidents
}

func newHub() *hub { return &hub{subs: map[*subscriber]struct{}{}} }

func (h *hub) subscribe(incident int64, sees func(*drone.Incident) bool) (*subscriber, func()) {
	s := &subscriber{incident: incident, sees: sees, ch: make(chan int64, 16)}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s, func() {
		h.mu.Lock()
		delete(h.subs, s)
		h.mu.Unlock()
	}
}

// publish tells the subscribers of a change. A subscriber that is behind
// misses it: it has changes pending already, and a page reloads its
// regions whole, so one more notice would change nothing.
func (h *hub) publish(inc *drone.Incident) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if (s.incident == 0 || s.incident == inc.Number) && s.sees(inc) {
			select {
			case s.ch <- inc.Number:
			default:
			}
		}
	}
}

// keepAlive is how often an idle event stream gets a comment, so that
// proxies keep it open and a closed session is noticed.
const keepAlive = 25 * time.Second

// events is the Server-Sent Events stream of a page: "incident=N" for one
// incident's page, anything else for every incident the user may see. Each
// event names the incident that changed ("change", "INC-4"); the page then
// fetches its live regions again.
func (c *Console) events(w http.ResponseWriter, r *http.Request, u *user) {
	var number int64
	if s := r.URL.Query().Get("incident"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			c.notFound(w, r, u)
			return
		}
		inc, err := c.svc.Incident(r.Context(), n)
		if err == nil && !c.sees(u, inc) {
			c.aboveClearance(r, u, inc)
		}
		if err != nil || !c.sees(u, inc) {
			c.notFound(w, r, u)
			return
		}
		number = n
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported here", http.StatusInternalServerError)
		return
	}
	sub, cancel := c.hub.subscribe(number, func(inc *drone.Incident) bool { return c.sees(u, inc) })
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 3000\n: connected\n\n")
	flusher.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case n := <-sub.ch:
			if _, err := fmt.Fprintf(w, "event: change\ndata: INC-%d\n\n", n); err != nil {
				return
			}
			flusher.Flush()
		case <-tick.C:
			// A session that ended (signed out, expired) ends its streams.
			if cur, err := c.currentUser(r); err != nil || cur == nil {
				return
			}
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}
