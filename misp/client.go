package misp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/ttp0/drone/httpapi"
)

// maxResponse bounds the body the client reads from one answer.
const maxResponse = 16 << 20

// ErrRateLimited marks a request that the client-side limit could not
// admit before its context ended.
var ErrRateLimited = errors.New("misp: rate limited")

// APIError is an HTTP error answer from MISP.
type APIError struct {
	Status       int
	Message      string // MISP's "message" (or "name"), or an excerpt of the body
	Method, Path string
	// RetryAfter is the wait MISP asked for (Retry-After), if any.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("misp: %s %s: %d: %s", e.Method, e.Path, e.Status, e.Message)
}

// Retryable reports whether trying the same request later may succeed: a
// 5xx, 408 or 429 answer, a timeout, a connection that failed or broke.
func Retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500 || ae.Status == http.StatusTooManyRequests || ae.Status == http.StatusRequestTimeout
	}
	var ne net.Error
	return errors.Is(err, ErrRateLimited) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne) || errors.Is(err, errTransport)
}

// errTransport marks a request that got no HTTP answer.
var errTransport = errors.New("no answer")

// Client talks to one MISP instance. It is safe for concurrent use.
type Client struct {
	base    string
	key     string
	timeout time.Duration
	http    *http.Client
	limiter *rate.Limiter
	cache   *cache
	log     *slog.Logger
	now     func() time.Time
}

// Option changes how New builds a Client.
type Option func(*Client)

// WithLogger makes the client log each request (method, path, status and
// duration, never a header) at debug level to l.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithTransport sends the requests through rt; the TLS settings of the
// configuration are then rt's business.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *Client) { c.http = &http.Client{Transport: rt} }
}

// New returns a client for cfg, which must be enabled and valid.
func New(cfg Config, opts ...Option) (*Client, error) {
	if !cfg.Enabled() {
		return nil, errors.New("misp: misp.url is not set")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	c := &Client{base: strings.TrimRight(cfg.URL, "/"), key: cfg.Key, timeout: cfg.Timeout,
		log: slog.New(slog.DiscardHandler), now: time.Now, cache: newCache(cfg.CacheTTL, 100_000)}
	if r := *cfg.Rate; r > 0 {
		// A burst of a tenth of a second's worth: requests go out evenly,
		// so that a server counting over windows shorter than a second
		// (or a clock a little behind drone's) does not see a burst.
		c.limiter = rate.NewLimiter(rate.Limit(r), int(math.Max(1, math.Ceil(r/10))))
	}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		tr, err := httpapi.Transport("misp", *cfg.VerifyTLS, cfg.CAFile)
		if err != nil {
			return nil, err
		}
		tr.MaxIdleConnsPerHost = 16 // look-ups go out at the rate limit, in parallel
		c.http = &http.Client{Transport: tr}
	}
	return c, nil
}

// Base returns MISP's base URL, without a trailing slash.
func (c *Client) Base() string { return c.base }

// do sends one JSON request and decodes its 2xx answer into out (unless
// nil); any other answer is an *APIError.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return fmt.Errorf("misp: %s %s: %w: %w", method, path, ErrRateLimited, context.DeadlineExceeded)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("misp: %s %s: encoding request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("misp: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("misp: %s %s: %w: %w", method, path, errTransport, c.redact(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	c.log.DebugContext(ctx, "misp request", "method", method, "path", path, "status", resp.StatusCode, "duration", time.Since(start))
	if err != nil {
		return fmt.Errorf("misp: %s %s: reading answer: %w: %w", method, path, errTransport, err)
	}
	if len(data) > maxResponse {
		return fmt.Errorf("misp: %s %s: answer larger than %d bytes", method, path, maxResponse)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.apiError(method, path, resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("misp: %s %s: decoding answer (is misp.url MISP?): %w", method, path, err)
	}
	return nil
}

// redact removes the key from an error's text, in case a proxy echoed it.
func (c *Client) redact(err error) error {
	if c.key == "" || !strings.Contains(err.Error(), c.key) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), c.key, "[redacted]"))
}

func (c *Client) apiError(method, path string, resp *http.Response, body []byte) error {
	e := &APIError{Status: resp.StatusCode, Method: method, Path: path,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now())}
	var wire struct {
		Message string `json:"message"`
		Name    string `json:"name"`
	}
	if json.Unmarshal(body, &wire) == nil && (wire.Message != "" || wire.Name != "") {
		e.Message = wire.Message
		if e.Message == "" {
			e.Message = wire.Name
		}
	} else {
		text := strings.TrimSpace(strings.ToValidUTF8(string(body), "?"))
		if r := []rune(text); len(r) > 200 {
			text = string(r[:200]) + "..."
		}
		e.Message = text
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if c.key != "" {
		e.Message = strings.ReplaceAll(e.Message, c.key, "[redacted]")
	}
	return e
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
