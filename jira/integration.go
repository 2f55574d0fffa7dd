package jira

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/integration"
	"github.com/ttp0/drone/tracker"
)

// The references the sync records on actions and incidents (External).
const (
	ExtKey = "jira.key"
	ExtURL = "jira.url"
)

// Actor is who the sync is on timelines. What it brings back from Jira,
// someone allowed to close the issue did there (drone.Service.SyncFollowUp).
var Actor = drone.Actor{Platform: "jira", ID: "sync", Name: "Jira"}

// Prefix names the jobs of the sync: jira.action, jira.incident, jira.poll.
type Prefix struct{}

// Prefix returns "jira".
func (Prefix) Prefix() string { return "jira" }

// NewSync returns the sync of follow-up actions (and incidents) with Jira
// through client.
func NewSync(client *Client, svc *drone.Service) (*tracker.Sync[Prefix], error) {
	cfg := client.Config()
	return tracker.New[Prefix](tracker.Options{Name: "Jira", Tracker: client, Service: svc, Actor: Actor,
		KeyID: ExtKey, KeyNumber: ExtKey, KeyURL: ExtURL, Incidents: cfg.Incidents, PollInterval: cfg.PollInterval,
		SearchLag: cfg.SearchLag, Users: cfg.Users, Log: client.ep.Log})
}

// Integration files follow-up actions (and, with jira.incidents, the
// incidents) as Jira issues and polls Jira for issues closed or reopened
// there.
func Integration(cfg Config) integration.Builder {
	return func(ctx context.Context, env integration.Env) (*integration.Integration, error) {
		in := integration.Off("Jira", "set jira.url, jira.email, jira.token and jira.project to file follow-up actions as Jira issues")
		if !cfg.Enabled() {
			return in, nil
		}
		client, err := New(cfg, WithLogger(env.Log))
		if err != nil {
			return nil, fmt.Errorf("jira integration: %w", err)
		}
		sync, err := NewSync(client, env.Service)
		if err != nil {
			return nil, fmt.Errorf("jira integration: %w", err)
		}
		sync.Contribute(in)
		if cfg.WebhookSecret != "" {
			in.Routes = map[string]http.Handler{WebhookRoute: sync.Webhook(Hook(cfg.WebhookSecret))}
		}
		return in, nil
	}
}
