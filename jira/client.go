// Package jira files drone's follow-up actions (and, when asked, its
// incidents) as Jira issues, on Jira Cloud (REST API v3) or Data Center
// (REST API v2), and brings an issue closed or reopened in Jira back onto
// its action. The sync itself is package tracker's; this package speaks
// Jira: creating issues, finding them by drone's labels with JQL, moving
// them through their workflow's transitions.
package jira

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

// Client talks to one Jira site. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base string
	api  string // /rest/api/3 or /rest/api/2
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
		return nil, errors.New("jira: jira.url is not set")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	c := &Client{cfg: cfg, base: strings.TrimRight(cfg.URL, "/"), api: "/rest/api/3"}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.Email+":"+cfg.Token))
	if cfg.Flavour == DataCenter {
		c.api, auth = "/rest/api/2", "Bearer "+cfg.Token
	}
	c.ep = tracker.Endpoint{Name: "jira", Base: c.base, Authorization: auth, Secret: cfg.Token,
		Timeout: cfg.Timeout, HTTP: &http.Client{}, Message: errorMessage}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Config returns the client's configuration, defaults applied.
func (c *Client) Config() Config { return c.cfg }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	return c.ep.Do(ctx, method, path, in, out)
}

// errorMessage reads Jira's {"errorMessages": [...], "errors": {...}} body.
func errorMessage(body []byte) string {
	var wire struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	if json.Unmarshal(body, &wire) != nil {
		return ""
	}
	msgs := wire.ErrorMessages
	for field, m := range wire.Errors {
		msgs = append(msgs, field+": "+m)
	}
	return strings.Join(msgs, "; ")
}
