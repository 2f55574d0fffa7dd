package tracker

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/ttp0/drone/drone"
)

// maxWebhook bounds the body of a webhook call.
const maxWebhook = 1 << 20

// Fetch reads one ticket and brings its closing or reopening onto its
// action, as a poll does for every changed ticket.
func (s *Sync[P]) Fetch(ctx context.Context, id string) error {
	t, err := s.o.Tracker.Get(ctx, id)
	if StatusOf(err) == http.StatusNotFound {
		return nil // deleted since, or out of drone's reach: nothing to bring back
	}
	if err != nil {
		return fmt.Errorf("%s: reading %s: %w", s.o.Name, id, err)
	}
	return s.bringBack(ctx, t)
}

// Hook is what a tracker's webhook needs of the tracker's package.
type Hook struct {
	// Verify reports whether a call comes from the tracker (its signature
	// or shared secret), given its body.
	Verify func(r *http.Request, body []byte) bool
	// Parse returns the ticket a call is about and a stamp telling this
	// event of it from others; ok is false for events about no ticket.
	Parse func(body []byte) (id, stamp string, ok bool)
}

// Webhook returns the handler of a tracker's webhook: a verified call
// about a ticket queues a <prefix>.fetch job, which reads the ticket from
// the tracker (the call's own content is not trusted beyond its ticket's
// name) and brings its state back. It answers 202 once the job is
// queued, 204 for an event about no ticket, 401 to a call it cannot
// verify.
func (s *Sync[P]) Webhook(h Hook) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhook))
		if err != nil {
			http.Error(w, "body unreadable or larger than 1 MiB", http.StatusRequestEntityTooLarge)
			return
		}
		if !h.Verify(r, body) {
			http.Error(w, "signature or secret missing or wrong", http.StatusUnauthorized)
			return
		}
		id, stamp, ok := h.Parse(body)
		if !ok {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		args := FetchArgs[P]{ID: id, Stamp: stamp}
		job := drone.Job{Kind: args.Kind(), Args: args, UniqueKey: args.Kind() + ":" + id + ":" + stamp}
		if err := s.o.Service.Enqueue(r.Context(), job); err != nil {
			s.o.Log.ErrorContext(r.Context(), "queueing a webhook's fetch", "tracker", s.o.Name, "ticket", id, "err", err)
			http.Error(w, "could not queue the event; send it again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
}
