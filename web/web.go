// Package web is drone's web console: the board of incidents, the declare
// form, the incident page with its actions, the leaders' view, the
// measures, Threat Driven Security and the queue, served by drone serve on
// its HTTP address.
//
// The console is one more adapter, like Slack and Discord: it reads and
// writes incidents through drone.Service only, keeps its accounts and
// sessions through drone.Accounts, and reaches the job queue through the
// small Queue interface. Pages are server-rendered html/template, usable
// without JavaScript; a small script adds live updates by Server-Sent Events.
//
// Who may see what: nothing is open but the sign-in page. An account's
// TLP clearance decides which incidents exist for it at all (an incident
// above it answers 404, and is left out of the board, search, the leaders'
// view, the measures and exports); its console roles are groups that drone's
// role configuration names ("web:group:responders"), so the same roles
// decide who may acknowledge, update and close from the console as from chat.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/measure"
	"github.com/ttp0/drone/notify"
	"github.com/ttp0/drone/tds"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Platform is the actor platform of console accounts: account alice acts as
// "web:alice" and her console role responders is "web:group:responders".
const Platform = "web"

// ChangeFeed tells the console which incidents changed, whichever process
// changed them (drone serve, the command line, another replica). The
// SQLite store implements it over its timeline.
type ChangeFeed interface {
	// Changes returns the ids of the incidents changed after mark and the
	// new mark; a mark below zero returns the current mark.
	Changes(ctx context.Context, mark int64) (int64, []string, error)
}

// Queue is what the console's queue page needs of the job queue. The
// SQLite store implements it.
type Queue interface {
	// Jobs lists jobs in the given states (all when none), oldest first.
	Jobs(ctx context.Context, limit int, states ...string) ([]drone.JobInfo, error)
	// RetryJob makes a job due now with a full set of attempts.
	RetryJob(ctx context.Context, id int64) (drone.JobInfo, error)
}

// Config tunes the console.
type Config struct {
	// BaseURL is the console's address as people reach it; the set-up link
	// is printed with it. Defaults to the listen address over http.
	BaseURL string
	// SecureCookies forces Secure cookies when TLS ends at a proxy. Cookies
	// are Secure anyway over TLS or with an https BaseURL.
	SecureCookies bool
	// IdleTimeout ends sessions left unused. Defaults to 30 minutes.
	IdleTimeout time.Duration
	// SessionLifetime ends sessions this long after sign-in. Defaults to 12 hours.
	SessionLifetime time.Duration
	// ViewWindow is how often one person's views of a TLP:RED incident are
	// recorded at most. Defaults to 15 minutes.
	ViewWindow time.Duration
	// Poll is how often the console looks for changes. Defaults to 1 second.
	Poll time.Duration
	// PageSize is the number of incidents a board page lists. Defaults to 50.
	PageSize int
	// OIDC, when its Issuer is set, adds "Sign in with ..." beside the
	// password form.
	OIDC OIDC
}

func (c Config) withDefaults() Config {
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 30 * time.Minute
	}
	if c.SessionLifetime <= 0 {
		c.SessionLifetime = 12 * time.Hour
	}
	if c.ViewWindow <= 0 {
		c.ViewWindow = 15 * time.Minute
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.PageSize <= 0 {
		c.PageSize = 50
	}
	if c.OIDC.On() {
		c.OIDC = c.OIDC.withDefaults(c.BaseURL)
	}
	return c
}

// Options builds a Console.
type Options struct {
	Service  *drone.Service
	Accounts drone.Accounts
	// Changes, when set, lets the console learn of changes within a poll;
	// without it the console reloads every incident at each poll.
	Changes ChangeFeed
	// Queue, when set, shows the queue page.
	Queue Queue
	// Org and SOC name the organisation and its SOC on pages.
	Org, SOC string
	// Clocks are the regulatory deadlines (notify.regulatory.clocks).
	Clocks []measure.Clock
	// Library and Assessment are the threat library and the assessment of
	// the configured inventory; Assessment is nil without an inventory,
	// and TDSHint then says how to configure one.
	Library    *tds.Library
	Assessment *tds.Assessment
	TDSHint    string
	Config     Config
	Log        *slog.Logger
	Now        func() time.Time // defaults to time.Now
}

// Console is the web console.
type Console struct {
	svc      *drone.Service
	accounts drone.Accounts
	changes  ChangeFeed
	queue    Queue
	org, soc string
	clocks   []measure.Clock
	library  *tds.Library
	assess   *tds.Assessment
	tdsHint  string
	cfg      Config
	log      *slog.Logger
	now      func() time.Time

	pages    map[string]*pageTemplate
	auth     Authenticator
	oidc     *oidcSignIn // nil without OIDC
	limits   *limiter
	setup    *setupToken
	index    *index
	hub      *hub
	redactor notify.Redactor
	handler  http.Handler
}

// New returns the console.
func New(o Options) (*Console, error) {
	if o.Service == nil || o.Accounts == nil {
		return nil, errors.New("web: a service and an account store are required")
	}
	c := &Console{svc: o.Service, accounts: o.Accounts, changes: o.Changes, queue: o.Queue, org: o.Org,
		soc: o.SOC, clocks: o.Clocks, library: o.Library, assess: o.Assessment, tdsHint: o.TDSHint,
		cfg: o.Config.withDefaults(), log: o.Log, now: o.Now, limits: newLimiter(), setup: &setupToken{},
		hub: newHub(), redactor: notify.Redactor{Extractor: o.Service.Extractor}}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.soc == "" {
		c.soc = "SOC"
	}
	c.auth = Passwords{Accounts: o.Accounts}
	if c.cfg.OIDC.On() {
		c.oidc = &oidcSignIn{cfg: c.cfg.OIDC}
	}
	c.index = newIndex(o.Service, o.Changes)
	var err error
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	c.handler = c.routes()
	return c, nil
}

// ServeHTTP serves the console.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.handler.ServeHTTP(w, r) }

// routes maps every page. Each handler states who may reach it: signedIn
// wraps what needs an account, admin what needs the console role admin.
func (c *Console) routes() http.Handler {
	mux := http.NewServeMux()
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic("web: static assets missing: " + err.Error()) // embedded at build time
	}
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(static)))
	mux.HandleFunc("GET /signin", c.signInPage)
	mux.HandleFunc("POST /signin", c.signIn)
	if c.oidc != nil {
		mux.HandleFunc("GET "+oidcStartPath, c.oidcStart)
		mux.HandleFunc("GET "+oidcCallbackPath, c.oidcCallback)
	}
	mux.HandleFunc("GET /setup", c.setupPage)
	mux.HandleFunc("POST /setup", c.setupSubmit)
	mux.Handle("POST /signout", c.signedIn(c.signOut))

	mux.Handle("GET /{$}", c.signedIn(c.board))
	mux.Handle("GET /declare", c.signedIn(c.declarePage))
	mux.Handle("POST /declare", c.signedIn(c.declare))
	mux.Handle("GET /incidents/{n}", c.signedIn(c.incidentPage))
	mux.Handle("GET /incidents/{n}/export", c.signedIn(c.export))
	mux.Handle("GET /incidents/{n}/review", c.signedIn(c.review))
	mux.Handle("POST /incidents/{n}/{action}", c.signedIn(c.act))
	mux.Handle("POST /incidents/{n}/role", c.signedIn(c.assignRole))
	mux.Handle("POST /incidents/{n}/grant", c.signedIn(c.grant))
	mux.Handle("POST /incidents/{n}/actions", c.signedIn(c.addAction))
	mux.Handle("POST /incidents/{n}/actions/{act}/{verb}", c.signedIn(c.changeAction))
	mux.Handle("POST /incidents/{n}/snooze", c.signedIn(c.snooze))
	mux.Handle("GET /leaders", c.signedIn(c.leaders))
	mux.Handle("GET /leaders/{n}", c.signedIn(c.leaderPage))
	mux.Handle("GET /measures", c.signedIn(c.measures))
	mux.Handle("GET /tds", c.signedIn(c.tdsPage))
	mux.Handle("GET /tds/navigator.json", c.signedIn(c.navigator))
	mux.Handle("GET /queue", c.signedIn(c.admin(c.queuePage)))
	mux.Handle("POST /queue/{id}/retry", c.signedIn(c.admin(c.retryJob)))
	mux.Handle("GET /accounts", c.signedIn(c.admin(c.accountsPage)))
	mux.Handle("POST /accounts", c.signedIn(c.admin(c.addAccount)))
	mux.Handle("POST /accounts/{name}", c.signedIn(c.admin(c.editAccount)))
	mux.Handle("GET /account", c.signedIn(c.accountPage))
	mux.Handle("POST /account/password", c.signedIn(c.changePassword))
	mux.Handle("GET /events", c.signedIn(c.events))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.notFound(w, r, nil)
	})

	// Cross-origin unsafe requests are refused before any handler runs;
	// forms also carry the session's token (checked in signedIn).
	cop := http.NewCrossOriginProtection()
	if c.cfg.BaseURL != "" {
		if err := cop.AddTrustedOrigin(strings.TrimRight(c.cfg.BaseURL, "/")); err != nil {
			c.log.Warn("web.base_url is not a trusted origin", "err", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, nil, http.StatusForbidden, "This request came from another site, so it was refused. Go back to the console and try again.")
	}))
	return securityHeaders(cop.Handler(mux))
}

// securityHeaders sets the headers every console response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// staticFiles serves the embedded assets with a day's caching.
func staticFiles(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// Run keeps the console's view of the incidents current and tells the open
// pages of changes, until ctx is done. drone serve runs it.
func (c *Console) Run(ctx context.Context) error {
	t := time.NewTicker(c.cfg.Poll)
	defer t.Stop()
	var pruned time.Time
	for {
		if err := c.Sync(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("web console: looking for changes", "err", err)
		}
		if now := c.now(); now.Sub(pruned) > 10*time.Minute {
			c.limits.prune(now)
			if err := c.pruneSessions(ctx, now); err != nil && ctx.Err() == nil {
				c.log.Warn("web console: removing ended sessions", "err", err)
			}
			pruned = now
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// pruneSessions removes the sessions that ended, idle or too old, which
// nobody used since (a used one is removed when it is presented).
func (c *Console) pruneSessions(ctx context.Context, now time.Time) error {
	now = now.UTC()
	_, err := c.accounts.DeleteSessions(ctx, drone.SessionFilter{SeenBefore: now.Add(-c.cfg.IdleTimeout)})
	if err != nil {
		return err
	}
	_, err = c.accounts.DeleteSessions(ctx, drone.SessionFilter{CreatedBefore: now.Add(-c.cfg.SessionLifetime)})
	return err
}

// Sync brings the console's view of the incidents up to date once and
// tells the open pages what changed.
func (c *Console) Sync(ctx context.Context) error {
	changed, err := c.index.sync(ctx)
	for _, inc := range changed {
		c.hub.publish(inc)
	}
	return err
}

// SetupLink returns a one-time link to create the first administrator,
// valid for an hour, when no account exists yet; ok is false otherwise.
// base is the console's address when web.base_url is not set.
func (c *Console) SetupLink(ctx context.Context, base string) (link string, ok bool, err error) {
	accs, err := c.accounts.ListAccounts(ctx)
	if err != nil {
		return "", false, err
	}
	if len(accs) > 0 {
		return "", false, nil
	}
	token, err := c.setup.issue(c.now())
	if err != nil {
		return "", false, err
	}
	if c.cfg.BaseURL != "" {
		base = c.cfg.BaseURL
	}
	return fmt.Sprintf("%s/setup?token=%s", strings.TrimRight(base, "/"), token), true, nil
}
