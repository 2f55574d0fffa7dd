package discord

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/store"
)

// Ids of the test guild.
var (
	testGuild     = discordtest.NewID()
	testCategory  = discordtest.NewID()
	testResponder = discordtest.NewID() // the responders' role
	testThreads   = discordtest.NewID() // the channel threads go in, in thread mode
)

// bundle is what a test of the adapter needs: a real SQLite store and
// queue, the adapter, the Discord stand-in, and a signer for HTTP mode.
type bundle struct {
	t      testing.TB
	ctx    context.Context
	h      *dronetest.Harness
	db     *store.DB
	svc    *drone.Service
	ad     *Adapter
	dc     *discordtest.Server
	signer *discordtest.Signer
	url    string // the interactions endpoint, in http mode
	mode   string
	// alice is a responder; bob may only declare and add indicators.
	alice, bob discordtest.Place
}

// setup starts everything in the given mode ("http" or "gateway"). Each
// edit, a func(*Config) or a func(*Adapter), changes the configuration
// before the adapter is made, or the adapter before it starts.
func setup(t testing.TB, mode string, edit ...any) *bundle {
	t.Helper()
	h := dronetest.New(t)
	ctx, svc := h.Ctx, h.Service
	svc.Framework.Zones = []string{"ZONE-A", "ZONE-B"}
	svc.Extractor = ioc.New(ioc.Options{})
	svc.Roles = drone.Roles{
		{Name: "everyone", Permissions: []drone.Permission{drone.PermDeclare, drone.PermIOC}, Members: []string{"*"}},
		{Name: "responders", Permissions: []drone.Permission{drone.PermAcknowledge, drone.PermLead, drone.PermUpdate, drone.PermClose},
			Members: []string{"discord:group:" + testResponder}},
	}
	dc := discordtest.New("test-bot-token")
	t.Cleanup(dc.Close)
	signer := discordtest.NewSigner()
	cfg := Config{BotToken: "test-bot-token", AppID: dc.AppID, PublicKey: signer.PublicKey(), GuildID: testGuild,
		Mode: mode, APIURL: dc.APIURL(), CategoryID: testCategory, ResponderRoleID: testResponder}
	for _, e := range edit {
		if f, ok := e.(func(*Config)); ok {
			f(&cfg)
		}
	}
	ad, err := New(cfg, svc, h.Log)
	if err != nil {
		t.Fatal(err)
	}
	svc.Planners = append(svc.Planners, ad)
	for _, e := range edit {
		if f, ok := e.(func(*Adapter)); ok {
			f(ad)
		}
	}
	workers := river.NewWorkers()
	ad.Register(workers)
	h.StartQueue(workers, dronetest.QueueConfig())
	b := &bundle{t: t, ctx: ctx, h: h, db: h.DB, svc: svc, ad: ad, dc: dc, signer: signer, mode: mode}
	channel := discordtest.NewID()
	b.alice = discordtest.Place{AppID: dc.AppID, GuildID: testGuild, ChannelID: channel,
		Member: discordtest.Member{ID: discordtest.NewID(), Name: "alice", Roles: []string{testResponder}}}
	b.bob = discordtest.Place{AppID: dc.AppID, GuildID: testGuild, ChannelID: channel,
		Member: discordtest.Member{ID: discordtest.NewID(), Name: "bob"}}
	if mode == "http" {
		hs := httptest.NewServer(ad.Handler())
		t.Cleanup(hs.Close)
		t.Cleanup(ad.Close)
		b.url = hs.URL + InteractionsPath
		return b
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ad.Run(runCtx) }()
	t.Cleanup(func() {
		stopRun()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	if err := dc.WaitGateway(ctx); err != nil {
		t.Fatal(err)
	}
	return b
}

// send delivers an interaction by the bundle's transport and returns the
// first answer, checked against Discord's limits.
func (b *bundle) send(i discordtest.Interaction) discordtest.Response {
	b.t.Helper()
	var r discordtest.Response
	if b.mode == "http" {
		status, body, err := b.signer.Post(b.ctx, b.url, i)
		if err != nil || status != 200 {
			b.t.Fatalf("posting interaction: %d %s %v", status, body, err)
		}
		if r, err = discordtest.ParseResponse(body); err != nil {
			b.t.Fatal(err)
		}
	} else {
		if err := b.dc.Dispatch(i); err != nil {
			b.t.Fatal(err)
		}
		var err error
		if r, err = b.dc.WaitResponse(b.ctx, i.ID()); err != nil {
			b.t.Fatal(err)
		}
	}
	if err := discordtest.CheckResponse(r); err != nil {
		b.t.Fatalf("Discord would refuse the answer: %v\n%+v", err, r)
	}
	return r
}

// wait waits for a call to the stand-in matching ok.
func (b *bundle) wait(what string, ok func(discordtest.Call) bool) discordtest.Call {
	b.t.Helper()
	c, err := b.dc.Wait(b.ctx, ok)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return c
}

// incident reads an incident from the store.
func (b *bundle) incident(n int64) *drone.Incident {
	b.t.Helper()
	return b.h.Incident(n)
}

// waitExternal waits until the incident records an external reference.
func (b *bundle) waitExternal(n int64, key string) string {
	b.t.Helper()
	var v string
	b.h.Eventually(fmt.Sprintf("INC-%d recording %s", n, key), func() bool {
		v = b.incident(n).External[key]
		return v != ""
	})
	return v
}

// must fails the test when a response is not what was expected.
func must(t *testing.T, r discordtest.Response, typ int, contains string) {
	t.Helper()
	text := r.Data.Content + r.Data.Title
	if r.Type != typ || !strings.Contains(text, contains) {
		t.Fatalf("answer type %d %q, want type %d containing %q", r.Type, text, typ, contains)
	}
}
