package cortex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors of the client; test them with errors.Is.
var (
	// ErrNoAnalyzer marks an analyzer Cortex does not have enabled.
	ErrNoAnalyzer = errors.New("cortex: no such analyzer enabled")
	// ErrBadAnswer marks a 2xx answer that is not the JSON expected.
	ErrBadAnswer = errors.New("cortex: undecodable answer")
)

// APIError is an HTTP error answer from Cortex.
type APIError struct {
	Status int
	// Type and Message are Cortex's error body ({"type", "message"}), or
	// an excerpt of another body.
	Type, Message string
	// Method and Path name the request, without host.
	Method, Path string
	// RetryAfter is the wait the server asked for (Retry-After), if any.
	RetryAfter time.Duration
}

// Error says which request failed and what Cortex answered.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cortex: %s %s: %d", e.Method, e.Path, e.Status)
	if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// TransportError is a request that got no HTTP answer.
type TransportError struct {
	Method, Path string
	Err          error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("cortex: %s %s: no answer: %v", e.Method, e.Path, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

func (c *Client) apiError(method, path string, resp *http.Response, body []byte) error {
	e := &APIError{Status: resp.StatusCode, Method: method, Path: path,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now())}
	var wire struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &wire) == nil && (wire.Type != "" || wire.Message != "") {
		e.Type, e.Message = wire.Type, wire.Message
	} else {
		text := strings.TrimSpace(strings.ToValidUTF8(string(body), "?"))
		if r := []rune(text); len(r) > 200 {
			text = string(r[:200]) + "..."
		}
		e.Message = text
	}
	if c.key != "" {
		e.Message = strings.ReplaceAll(e.Message, c.key, "[redacted]")
	}
	return e
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func asAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

// Retryable reports whether the same request may succeed later: 5xx, 408
// and 429 answers, requests that got no answer or ran out of time; not
// other 4xx answers, an analyzer Cortex lacks, or an answer drone cannot
// read.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if ae := asAPIError(err); ae != nil {
		return ae.Status >= 500 || ae.Status == http.StatusTooManyRequests || ae.Status == http.StatusRequestTimeout
	}
	if errors.Is(err, ErrNoAnalyzer) || errors.Is(err, ErrBadAnswer) {
		return false
	}
	var te *TransportError
	return errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// hint names the setting behind a Cortex refusal, or "".
func hint(err error) string {
	ae := asAPIError(err)
	switch {
	case errors.Is(err, ErrNoAnalyzer):
		return "cortex.analyzers names an analyzer the key's organisation has not enabled in Cortex"
	case ae == nil:
		return ""
	case ae.Status == http.StatusUnauthorized:
		return "Cortex refused the API key (cortex.api_key)"
	case ae.Status == http.StatusForbidden:
		return "Cortex refused access: the key's user needs the analyze role"
	case ae.Status == http.StatusNotFound:
		return "Cortex has no such route or object (is cortex.url Cortex's base URL?)"
	}
	return ""
}
