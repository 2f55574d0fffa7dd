package hive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/ttp0/drone/httpapi"
)

// maxResponse bounds the body the client reads from one answer.
const maxResponse = 8 << 20

// Client talks to one TheHive organisation. It is safe for concurrent use.
type Client struct {
	api     string
	base    string
	key     string
	org     string
	timeout time.Duration
	http    *http.Client
	limiter *rate.Limiter
	log     *slog.Logger
	routes  routes
	now     func() time.Time
}

// Option changes how New builds a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc. The TLS
// settings of the configuration (verify_tls, ca_file) are then hc's
// business.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// WithTransport makes the client send its requests through rt, such as a
// test transport. The TLS settings of the configuration are then rt's
// business.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *Client) { c.http = &http.Client{Transport: rt} }
}

// WithLogger makes the client log each request (method, path, status and
// duration, never a header) at debug level to l.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) { c.log = l }
}

// New returns a client for cfg, which must be enabled and valid.
func New(cfg Config, opts ...Option) (*Client, error) {
	if !cfg.Enabled() {
		return nil, errors.New("hive: hive.url is not set")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	c := &Client{
		api:     cfg.API,
		base:    strings.TrimRight(cfg.URL, "/"),
		key:     cfg.APIKey,
		org:     cfg.Organisation,
		timeout: cfg.Timeout,
		log:     slog.New(slog.DiscardHandler),
		routes:  routesFor(cfg.API),
		now:     time.Now,
	}
	if r := *cfg.Rate; r > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(r), int(math.Max(1, math.Ceil(r))))
	}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		tr, err := httpapi.Transport("hive", *cfg.VerifyTLS, cfg.CAFile)
		if err != nil {
			return nil, err
		}
		c.http = &http.Client{Transport: tr}
	}
	return c, nil
}

// API returns the API version the client speaks, "v1" or "v0".
func (c *Client) API() string { return c.api }

// response is a 2xx answer read whole.
type response struct {
	status int
	body   []byte
}

// do sends one request and returns its 2xx answer; any other answer is an
// *APIError.
func (c *Client) do(ctx context.Context, method, path string, in any) (*response, error) {
	if err := c.wait(ctx); err != nil {
		return nil, fmt.Errorf("hive: %s %s: %w", method, path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := c.newRequest(ctx, method, path, in)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.log.DebugContext(ctx, "thehive request failed", "method", method, "path", path, "duration", time.Since(start))
		return nil, newTransportError(method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	c.log.DebugContext(ctx, "thehive request", "method", method, "path", path, "status", resp.StatusCode, "duration", time.Since(start))
	if err != nil {
		return nil, newTransportError(method, path, fmt.Errorf("reading answer: %w", err))
	}
	if len(body) > maxResponse {
		return nil, fmt.Errorf("hive: %s %s: answer larger than %d bytes", method, path, maxResponse)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.apiError(method, path, resp, body)
	}
	return &response{status: resp.StatusCode, body: body}, nil
}

func (c *Client) wait(ctx context.Context) error {
	if c.limiter == nil {
		return nil
	}
	if err := c.limiter.Wait(ctx); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("%w: %w", ErrRateLimited, ctxErr)
		}
		return fmt.Errorf("%w: %w", ErrRateLimited, context.DeadlineExceeded)
	}
	return nil
}

// rawBody is a request body already encoded, such as a multipart upload;
// do sends it as it is instead of encoding it as JSON.
type rawBody struct {
	contentType string
	data        []byte
}

func (c *Client) newRequest(ctx context.Context, method, path string, in any) (*http.Request, error) {
	var body io.Reader
	contentType := "application/json"
	switch v := in.(type) {
	case nil:
	case *rawBody:
		body, contentType = bytes.NewReader(v.data), v.contentType
	default:
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("hive: %s %s: encoding request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("hive: %s %s: %w", method, path, httpapi.RedactURLError(err))
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if c.org != "" {
		req.Header.Set("X-Organisation", c.org)
	}
	return req, nil
}

// apiError builds the *APIError of a non-2xx answer.
func (c *Client) apiError(method, path string, resp *http.Response, body []byte) error {
	e := parseAPIError(resp.StatusCode, body)
	e.Method, e.Path = method, path
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
	if c.key != "" {
		e.Message = strings.ReplaceAll(e.Message, c.key, "[redacted]")
	}
	return e
}

// parseAPIError reads TheHive's {"type", "message"} body, or keeps a short
// excerpt of any other body.
func parseAPIError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	var wire struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &wire) == nil && (wire.Type != "" || wire.Message != "") {
		e.Type, e.Message = wire.Type, wire.Message
		return e
	}
	text := strings.TrimSpace(strings.ToValidUTF8(string(body), "?"))
	if r := []rune(text); len(r) > 200 {
		text = string(r[:200]) + "..."
	}
	if text == "" {
		text = http.StatusText(status)
	}
	e.Message = text
	return e
}

// decode reads a JSON answer into out, naming the request in the error.
func decode(method, path string, body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("hive: %s %s: decoding answer: %w", method, path, err)
	}
	return nil
}
