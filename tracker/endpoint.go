package tracker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
)

// maxResponse bounds the body read from one answer.
const maxResponse = 8 << 20

// Endpoint sends JSON requests to one tracker's REST API and says its
// failures in drone's words. It is safe for concurrent use once built.
type Endpoint struct {
	// Name names the tracker in errors and logs: "jira".
	Name string
	// Base is the API's base URL, without a trailing slash.
	Base string
	// Authorization is the header's value; Secret is what must never show
	// in an error (the token, the password).
	Authorization, Secret string
	// Timeout bounds each request, answer included.
	Timeout time.Duration
	// HTTP sends the requests. Defaults to a client of its own.
	HTTP *http.Client
	// Log receives a line per request (method, path, status, duration,
	// never a header) at debug level. Defaults to discarding.
	Log *slog.Logger
	// Message reads the tracker's error body, returning "" when it is not
	// one (an excerpt of the body is used then).
	Message func(body []byte) string
	// Now is the clock of Retry-After dates. Defaults to time.Now.
	Now func() time.Time
}

// Do sends one request with in as its JSON body (none when nil) and decodes
// its 2xx answer into out (when not nil). Any other answer is an *APIError,
// steered (APIError.Steered): a 429 asks to wait, a refusal is permanent.
// A request that got no answer is an error the queue retries.
func (e *Endpoint) Do(ctx context.Context, method, path string, in, out any) error {
	at := method + " " + stripQuery(path)
	if e.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.Timeout)
		defer cancel()
	}
	req, err := e.request(ctx, method, path, in)
	if err != nil {
		return drone.Permanent(fmt.Errorf("%s: %s: %w", e.Name, at, err))
	}
	hc := e.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		e.log(ctx, "request failed", "method", method, "path", stripQuery(path), "duration", time.Since(start))
		return fmt.Errorf("%s: %s: %w", e.Name, at, causeOf(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	e.log(ctx, "request", "method", method, "path", stripQuery(path), "status", resp.StatusCode, "duration", time.Since(start))
	if err != nil {
		return fmt.Errorf("%s: %s: reading the answer: %w", e.Name, at, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return e.apiError(method, path, resp, data).Steered()
	}
	if len(data) > maxResponse {
		return drone.Permanent(fmt.Errorf("%s: %s: answer larger than %d bytes", e.Name, at, maxResponse))
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return drone.Permanent(fmt.Errorf("%s: %s: decoding the answer: %w", e.Name, at, err))
	}
	return nil
}

func (e *Endpoint) request(ctx context.Context, method, path string, in any) (*http.Request, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encoding the request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.Base+path, body)
	if err != nil {
		return nil, causeOf(err)
	}
	req.Header.Set("Authorization", e.Authorization)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

func (e *Endpoint) log(ctx context.Context, msg string, args ...any) {
	if e.Log != nil {
		e.Log.DebugContext(ctx, e.Name+" "+msg, args...)
	}
}

func (e *Endpoint) apiError(method, path string, resp *http.Response, body []byte) *APIError {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	ae := &APIError{Tracker: e.Name, Method: method, Path: stripQuery(path), Status: resp.StatusCode,
		RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), now())}
	if e.Message != nil {
		ae.Message = e.Message(body)
	}
	if ae.Message == "" {
		ae.Message = Excerpt(body)
	}
	if e.Secret != "" {
		ae.Message = strings.ReplaceAll(ae.Message, e.Secret, "[redacted]")
	}
	return ae
}

func stripQuery(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return p
}

// causeOf drops the URL from a transport error (*url.Error), which may
// carry a query, keeping its cause.
func causeOf(err error) error {
	var ue interface {
		Unwrap() error
		Timeout() bool
	}
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}
