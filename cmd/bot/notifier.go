package main

import (
	"context"

	"github.com/ttp0/drone/notify"
)

// newNotifier builds the notifier of the configuration: drone report and
// drone notify test use it even when no rule is configured.
func newNotifier(ctx context.Context, a *app) (*notify.Notifier, error) {
	return notify.New(ctx, notify.Options{Config: a.cfg.Notify.Config, Service: a.svc, Media: a.media(),
		Org: a.cfg.Organisation, SOC: orDefault(a.cfg.SOC.Name, "SOC"), Log: a.log})
}
