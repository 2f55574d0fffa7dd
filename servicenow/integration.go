package servicenow

import (
	"context"
	"fmt"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/integration"
	"github.com/ttp0/drone/tracker"
)

// The references the sync records on actions and incidents (External).
const (
	ExtSysID  = "servicenow.sys_id"
	ExtNumber = "servicenow.number"
	ExtURL    = "servicenow.url"
)

// Actor is who the sync is on timelines. What it brings back from
// ServiceNow, someone allowed to resolve the record did there
// (drone.Service.SyncFollowUp).
var Actor = drone.Actor{Platform: "servicenow", ID: "sync", Name: "ServiceNow"}

// Prefix names the jobs of the sync: servicenow.action,
// servicenow.incident, servicenow.poll.
type Prefix struct{}

// Prefix returns "servicenow".
func (Prefix) Prefix() string { return "servicenow" }

// NewSync returns the sync of follow-up actions (and incidents) with
// ServiceNow through client. The Table API's reads are consistent with its
// writes, so a creation that got no answer is looked up again at the
// queue's next attempt.
func NewSync(client *Client, svc *drone.Service) (*tracker.Sync[Prefix], error) {
	cfg := client.Config()
	return tracker.New[Prefix](tracker.Options{Name: "ServiceNow", Tracker: client, Service: svc, Actor: Actor,
		KeyID: ExtSysID, KeyNumber: ExtNumber, KeyURL: ExtURL, Incidents: cfg.Incidents,
		PollInterval: cfg.PollInterval, Users: cfg.Users, Log: client.ep.Log})
}

// Integration files follow-up actions (and, with servicenow.incidents,
// the incidents) as ServiceNow records and polls the table for records
// resolved or reopened there.
func Integration(cfg Config) integration.Builder {
	return func(ctx context.Context, env integration.Env) (*integration.Integration, error) {
		in := integration.Off("ServiceNow", "set servicenow.url with servicenow.user and servicenow.password "+
			"(or servicenow.token) to file follow-up actions as ServiceNow records")
		if !cfg.Enabled() {
			return in, nil
		}
		client, err := New(cfg, WithLogger(env.Log))
		if err != nil {
			return nil, fmt.Errorf("servicenow integration: %w", err)
		}
		sync, err := NewSync(client, env.Service)
		if err != nil {
			return nil, fmt.Errorf("servicenow integration: %w", err)
		}
		sync.Contribute(in)
		return in, nil
	}
}
