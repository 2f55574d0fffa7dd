// Package mailbox is the phishing-report mailbox, an input adapter beside
// the chat ones: an SMTP server that accepts reported messages for a few
// addresses, relays nothing, and turns each into a new incident or adds its
// indicators to the incident its subject names. Its settings are
// notify.inbound in drone's configuration.
package mailbox

import (
	"context"
	"path/filepath"

	"github.com/ttp0/drone/integration"
)

// Integration runs the phishing-report mailbox of cfg alongside drone
// serve, keeping the originals in cfg.Store (by default "mail" in the data
// directory).
func Integration(cfg Config) integration.Builder {
	return func(ctx context.Context, env integration.Env) (*integration.Integration, error) {
		in := integration.Off("Phishing mailbox", "set notify.inbound.listen and notify.inbound.addresses "+
			"to turn reported e-mails into incidents")
		if !cfg.Enabled() {
			return in, nil
		}
		dir := cfg.Store
		if dir == "" {
			dir = filepath.Join(env.DataDir, "mail")
		}
		mb, err := NewMailbox(cfg, env.Service, dir, env.Log)
		if err != nil {
			return nil, err
		}
		in.Enabled = true
		in.Run = mb.Run
		return in, nil
	}
}
