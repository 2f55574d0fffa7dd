package discord

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"
)

// answerTimeout bounds the first answer to a gateway interaction; Discord
// gives 3 seconds, and a deferral comes after DeferAfter.
const answerTimeout = 10 * time.Second

// Run connects to Discord's gateway (in gateway mode) and answers the
// interactions it dispatches until ctx is done; then it closes the
// connection and waits for the answers in progress. In http mode it only
// waits for ctx and the answers in progress, as the Handler takes the
// interactions. A connection that cannot be opened is tried again with
// backoff: Discord being away for a while must not stop drone serve.
func (a *Adapter) Run(ctx context.Context) error {
	if a.cfg.Mode == "http" {
		<-ctx.Done()
		a.Close()
		return nil
	}
	remove := a.session.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
		if ic.Interaction != nil && a.work.start() {
			defer a.work.done()
			a.onGateway(ctx, ic.Interaction)
		}
	})
	defer remove()
	defer a.addTimelineHandlers(ctx)()
	if err := a.open(ctx); err != nil {
		a.Close()
		return nil
	}
	a.log.Info("connected to Discord's gateway")
	<-ctx.Done()
	err := a.session.Close()
	a.Close()
	if err != nil {
		return fmt.Errorf("closing Discord's gateway connection: %w", err)
	}
	return nil
}

// open opens the gateway connection, trying again with backoff until it
// succeeds or ctx is done (then it returns ctx's error).
func (a *Adapter) open(ctx context.Context) error {
	wait := time.Second
	for {
		err := a.session.Open()
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			return nil
		}
		a.log.Warn("connecting to Discord's gateway", "err", a.limiter.named(err), "retry_in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

// onGateway answers an interaction the gateway dispatched, through the
// REST callback, then finishes deferred work.
func (a *Adapter) onGateway(ctx context.Context, i *discordgo.Interaction) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), answerTimeout)
	defer cancel()
	resp, later, err := a.handle(actx, i)
	if err != nil {
		a.log.Warn("ignoring a malformed interaction from the gateway", "interaction", i.ID, "err", err)
		return
	}
	if resp != nil {
		if err := a.session.InteractionRespond(i, resp, discordgo.WithContext(actx)); err != nil {
			a.log.Error("answering an interaction", "interaction", i.ID, "err", a.limiter.named(err))
		}
	}
	if later != nil {
		later()
	}
}
