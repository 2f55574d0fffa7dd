package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ttp0/drone/notify"
	"github.com/ttp0/drone/notify/email"
)

// notifyKinds are the notifier's job kinds.
var notifyKinds = []string{notify.KindDeliver, notify.KindCheck, notify.KindClock, notify.KindDigest}

// notifyIntegration routes incident events to e-mail, Slack and Discord,
// checks the promised times, sends the digests and runs the phishing-report
// mailbox. It is built after the Slack and Discord integrations, whose
// media it sends through.
func notifyIntegration(ctx context.Context, a *app) (*integration, error) {
	in := &integration{Name: "Notifications",
		Hint: "add notify.targets and notify.rules to route incident events to e-mail, Slack or Discord, or notify.inbound.listen for the phishing mailbox"}
	cfg := a.cfg.Notify
	if !cfg.Enabled() {
		return in, nil
	}
	n, err := newNotifier(ctx, a)
	if err != nil {
		return nil, err
	}
	in.Enabled = true
	in.Planner = n
	in.Lanes = n.Lanes()
	in.Workers = n.Register
	in.Prepare = func(ctx context.Context) error { return a.prepareNotifyQueue(ctx, n) }
	in.UseMedia = n.UseMedia
	in.Extensions = n.Extensions()
	if cfg.Inbound.Enabled() {
		dir := cfg.Inbound.Store
		if dir == "" {
			dir = filepath.Join(filepath.Dir(a.cfg.Database), "mail")
		}
		mb, err := email.NewMailbox(cfg.Inbound, a.svc, dir, a.log)
		if err != nil {
			return nil, err
		}
		in.Run = mb.Run
	}
	return in, nil
}

// newNotifier builds the notifier of the configuration: drone report and
// drone notify test use it even when no rule is configured.
func newNotifier(ctx context.Context, a *app) (*notify.Notifier, error) {
	return notify.New(ctx, notify.Options{Config: a.cfg.Notify, Service: a.svc, DB: a.db.SQL(), Media: a.media(),
		Org: a.cfg.Organisation, SOC: orDefault(a.cfg.SOC.Name, "SOC"), Log: a.log})
}

// prepareNotifyQueue runs when the queue is about to start: it makes due
// again the deliveries a killed process left running (River itself would
// wait an hour), and queues the next digest.
func (a *app) prepareNotifyQueue(ctx context.Context, n *notify.Notifier) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	k, err := a.db.RescueStuck(ctx, 2*a.cfg.Queue.JobTimeout, notifyKinds...)
	if err != nil {
		return fmt.Errorf("rescuing notifications left running: %w", err)
	}
	if k > 0 {
		a.log.Info("notifications left running by a stopped process are due again", "jobs", k)
	}
	return n.Schedule(ctx)
}
