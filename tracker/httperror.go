package tracker

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
)

// DefaultRetryAfter is the wait after a 429 that names none.
const DefaultRetryAfter = 30 * time.Second

// APIError is an HTTP error answer of a tracker.
type APIError struct {
	// Tracker names it: "jira", "servicenow".
	Tracker string
	// Method and Path name the request, without host or query.
	Method, Path string
	Status       int
	// Message is what the tracker said, its secrets removed.
	Message string
	// RetryAfter is the wait the tracker asked for (Retry-After), if any.
	RetryAfter time.Duration
}

// Error says which request failed and what the tracker answered.
func (e *APIError) Error() string {
	s := fmt.Sprintf("%s: %s %s: %d %s", e.Tracker, e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// AsAPIError returns the *APIError in err, or nil.
func AsAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

// StatusOf returns the HTTP status of the *APIError in err, or 0.
func StatusOf(err error) int {
	if ae := AsAPIError(err); ae != nil {
		return ae.Status
	}
	return 0
}

// Steered returns e in drone's words for the queue: a 429 asks to wait its
// Retry-After (DefaultRetryAfter when it names none); 5xx, 408 and 409 are
// retried with backoff; any other refusal is permanent, since the same
// request will be refused again.
func (e *APIError) Steered() error {
	switch {
	case e.Status == http.StatusTooManyRequests:
		wait := e.RetryAfter
		if wait <= 0 {
			wait = DefaultRetryAfter
		}
		return drone.RetryAfter(wait, e)
	case e.Status >= 500, e.Status == http.StatusRequestTimeout, e.Status == http.StatusConflict:
		return e
	}
	return drone.Permanent(e)
}

// ParseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// Excerpt keeps the start of a body that is not the tracker's error JSON,
// on one line, for an error message.
func Excerpt(body []byte) string {
	text := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "?")), " ")
	if r := []rune(text); len(r) > 200 {
		text = string(r[:200]) + "..."
	}
	return text
}
