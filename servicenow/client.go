// Package servicenow files drone's follow-up actions (and, when asked, its
// incidents) as records of a ServiceNow table through the Table API, and
// brings a record resolved or reopened in ServiceNow back onto its action.
// The sync itself is package tracker's; this package speaks the Table
// API: records found by their correlation_id, created, and moved by their
// state.
package servicenow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ttp0/drone/tracker"
)

// Client talks to one ServiceNow instance. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base string
	ep   tracker.Endpoint
}

// Option changes how New builds a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.ep.HTTP = hc } }

// WithLogger makes the client log each request (method, path, status and
// duration, never a header) at debug level to l.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.ep.Log = l } }

// New returns a client for cfg, which must be enabled and valid.
func New(cfg Config, opts ...Option) (*Client, error) {
	if !cfg.Enabled() {
		return nil, errors.New("servicenow: servicenow.url is not set")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	c := &Client{cfg: cfg, base: strings.TrimRight(cfg.URL, "/")}
	auth, secret := "Bearer "+cfg.Token, cfg.Token
	if cfg.Token == "" {
		auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.User+":"+cfg.Password))
		secret = cfg.Password
	}
	c.ep = tracker.Endpoint{Name: "servicenow", Base: c.base, Authorization: auth, Secret: secret,
		Timeout: cfg.Timeout, HTTP: &http.Client{}, Message: errorMessage}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Config returns the client's configuration, defaults applied.
func (c *Client) Config() Config { return c.cfg }

// errorMessage reads the Table API's {"error": {"message", "detail"}} body.
func errorMessage(body []byte) string {
	var wire struct {
		Error struct {
			Message string `json:"message"`
			Detail  string `json:"detail"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &wire) != nil || wire.Error.Message == "" {
		return ""
	}
	if wire.Error.Detail != "" {
		return wire.Error.Message + ": " + wire.Error.Detail
	}
	return wire.Error.Message
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	return c.ep.Do(ctx, method, path, in, out)
}
