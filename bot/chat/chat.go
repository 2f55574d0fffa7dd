// Package chat holds what every chat adapter shares and no platform owns:
// running a line of drone's grammar typed in a channel, with the channel's
// incident as the default, and previewing the indicators of a message.
package chat

import (
	"context"
	"errors"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

// Router runs the text commands of a chat adapter.
type Router struct {
	Service *drone.Service
	// ChannelKey is the external reference key under which the adapter
	// records an incident's channel, such as "slack.channel".
	ChannelKey string
}

// ChannelIncident returns the number of the incident whose channel this is,
// or 0 when the channel belongs to no incident.
func (r *Router) ChannelIncident(ctx context.Context, channelID string) (int64, error) {
	if channelID == "" {
		return 0, nil
	}
	inc, err := r.Service.IncidentByRef(ctx, r.ChannelKey, channelID)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return inc.Number, nil
}

// Handle parses and runs one line ("ioc 1.2.3.4", "ack INC-3") typed in a
// channel. An unknown command is answered with the help text.
func (r *Router) Handle(ctx context.Context, a drone.Actor, o drone.Origin, channelID, line string) (*drone.Reply, error) {
	cmd, err := r.Service.ParseCommand(line)
	if err != nil {
		var de *drone.Error
		if errors.As(err, &de) && de.Code == drone.EINVALID && cmd.Name == "" {
			return &drone.Reply{Text: drone.ErrorMessage(err) + "\n\n" + r.Service.Grammar().Help("")}, nil
		}
		return nil, err
	}
	here, err := r.ChannelIncident(ctx, channelID)
	if err != nil {
		return nil, err
	}
	return r.Service.Execute(ctx, a, o, cmd, here)
}

// Preview extracts the indicators of a message (and its thread) without
// adding them, for a confirmation dialog: public ones are to be pre-checked,
// internal ones shown unchecked, rejected ones listed with their reason.
func (r *Router) Preview(texts ...string) ioc.Result {
	var all ioc.Result
	seen := map[string]bool{}
	ex := r.Service.Extractor
	if ex == nil {
		ex = &ioc.Extractor{}
	}
	for _, t := range texts {
		res := ex.Extract(t)
		for _, in := range res.Indicators {
			k := string(in.Type) + "\x00" + in.Value
			if !seen[k] {
				seen[k] = true
				all.Indicators = append(all.Indicators, in)
			}
		}
		all.Rejected = append(all.Rejected, res.Rejected...)
	}
	return all
}
