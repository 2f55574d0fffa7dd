// Package integration holds what an integration contributes to drone and
// what drone gives it to build itself with. Each integration (TheHive,
// Slack, Discord, notifications, Threat Driven Security, the web console)
// exports a Builder; the drone binary lists the builders and assembles
// what they return, so an integration is one folder plus one line of
// wiring, and the order they are built in does not matter.
package integration

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
)

// Env is what drone gives a builder.
type Env struct {
	// Service is drone's core: integrations read and change incidents
	// through it, never through the store.
	Service *drone.Service
	// Log is the process's logger.
	Log *slog.Logger
	// DataDir is a directory beside the database where an integration may
	// keep files (the phishing mailbox's originals).
	DataDir string
}

// Builder builds an integration. A builder whose section is not configured
// returns the integration with Enabled false and a Hint, and no error; an
// error means the section is configured but wrong.
type Builder func(ctx context.Context, env Env) (*Integration, error)

// Integration is what one system contributes. Builders only return it:
// none sets anything on the service or on another integration.
type Integration struct {
	Name    string
	Enabled bool
	Hint    string // how to turn it on, said at start when it is off
	// Planner turns incident events into the integration's jobs.
	Planner drone.Planner
	// Workers adds the integration's queue workers.
	Workers func(w *river.Workers)
	// Lanes are the queues of its jobs besides the default one, with the
	// number of workers of each.
	Lanes map[string]int
	// Prepare runs before the queue starts: queueing a schedule, say. On
	// SQLite it runs once this process holds the worker lock; on
	// PostgreSQL every replica runs it, perhaps at the same instant, so
	// what it queues must be unique jobs (drone.Job.UniqueKey). Rescuing
	// jobs a killed process left running is drone's, for every kind.
	Prepare func(ctx context.Context) error
	// Media are the notification media it offers (Slack, Discord).
	Media []drone.Medium
	// UseMedia, when set, receives the media of every enabled integration
	// once all are built (the notifier delivers through them).
	UseMedia func([]drone.Medium)
	// Extensions are the commands of drone's grammar it handles.
	Extensions []drone.Extension
	// Advisor advises new incidents (Threat Driven Security).
	Advisor drone.Advisor
	// Enricher looks indicators up in a threat-intelligence source (MISP,
	// Cortex); drone asks every enabled one.
	Enricher drone.Enricher
	// Routes are the HTTP handlers drone serve mounts, by pattern
	// ("POST /slack/commands").
	Routes map[string]http.Handler
	// Run, when set, runs alongside drone serve until ctx is done (a chat
	// gateway connection, an SMTP listener).
	Run func(ctx context.Context) error
	// Started, when set, runs once drone serve listens on addr, to tell
	// the operator on out what only the integration knows (the console's
	// one-time set-up link).
	Started func(ctx context.Context, addr net.Addr, out io.Writer) error
	// Close, when set, releases what the integration holds when drone
	// stops (open SMTP sessions).
	Close func() error
}

// Off returns a disabled integration with the hint that turns it on.
func Off(name, hint string) *Integration {
	return &Integration{Name: name, Hint: hint}
}
