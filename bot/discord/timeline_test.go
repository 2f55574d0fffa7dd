package discord

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
)

// handledAfter runs fn, which makes the stand-in dispatch one gateway
// event, and waits until drone has handled it: queued its job, which the
// queue then works.
func (b *bundle) handledAfter(what string, fn func() error) {
	b.t.Helper()
	n := b.ad.handled.Load()
	if err := fn(); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	b.h.Eventually(what+" handled", func() bool { return b.ad.handled.Load() > n })
	b.h.Settle(20 * time.Second) // the discord.timeline job
}

// timelineJobs are the discord.timeline jobs queued so far, all done.
func (b *bundle) timelineJobs() []store.JobInfo {
	b.t.Helper()
	var out []store.JobInfo
	for _, j := range b.h.Jobs() {
		if j.Kind != KindTimeline {
			continue
		}
		if j.State != "completed" {
			b.t.Errorf("discord.timeline job %d is %s: %s", j.ID, j.State, j.LastError)
		}
		out = append(out, j)
	}
	return out
}

// entries returns INC-n's entries of a kind, checking the chain.
func (b *bundle) entries(n int64, kind string) []drone.Entry {
	b.t.Helper()
	rec := b.h.Record(n)
	if err := drone.Verify(rec.Timeline); err != nil {
		b.t.Fatalf("the timeline does not verify: %v", err)
	}
	var out []drone.Entry
	for _, e := range rec.Timeline {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// TestTimelineFromReactionAndPin: a 📌 reaction and a pin on the same
// message make one entry stamped with the message's own time; removing one
// changes nothing, removing the last records a correction; events seen
// twice change nothing, and the chain verifies throughout.
func TestTimelineFromReactionAndPin(t *testing.T) {
	t.Parallel()
	b := setup(t, "gateway")
	ch, _ := declare(t, b, "AMBER")
	file := []byte("%PDF-1.7 invoice")
	msg := b.dc.AddUserMessage(ch, b.bob.Member, "the C2 is 45.33.32.156", map[string][]byte{"invoice.pdf": file})
	posted := discordtest.SnowflakeTime(msg.ID)

	b.handledAfter("👀", func() error { return b.dc.React(ch, msg.ID, b.alice.Member, "👀") }) // not the timeline's
	if n := len(b.entries(1, drone.EntryPinned)); n != 0 {
		t.Fatalf("👀 pinned %d messages", n)
	}
	b.handledAfter("📌 by alice", func() error { return b.dc.React(ch, msg.ID, b.alice.Member, "📌") })
	b.handledAfter("📌 by alice again", func() error { return b.dc.React(ch, msg.ID, b.alice.Member, "📌") })
	pinned := b.entries(1, drone.EntryPinned)
	if len(pinned) != 1 {
		t.Fatalf("pinned entries = %d; want 1", len(pinned))
	}
	if got := pinned[0].OccurredAt(); !got.Equal(posted) {
		t.Errorf("the entry shows %v; want the message's time %v", got, posted)
	}
	var data drone.PinnedMessage
	if err := json.Unmarshal(pinned[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Author.ID != b.bob.Member.ID || data.Author.Name != "bob" || pinned[0].Actor.ID != b.alice.Member.ID ||
		len(data.Attachments) != 1 || data.Attachments[0].SHA256 != discordtest.FileHash(file) ||
		data.Attachments[0].Name != "invoice.pdf" || !strings.HasPrefix(data.Link, "https://discord.com/channels/") {
		t.Errorf("pinned by %+v: %+v", pinned[0].Actor, data)
	}
	offered := false
	for _, m := range b.dc.Messages(ch) {
		if strings.Contains(m.Content, "45[.]33[.]32[.]156") && m.Reference != nil && m.Reference.MessageID == msg.ID {
			offered = true
		}
	}
	if !offered {
		t.Errorf("no reply offers the message's indicator: %+v", b.dc.Messages(ch))
	}

	b.handledAfter("📌 by bob", func() error { return b.dc.React(ch, msg.ID, b.bob.Member, "📌") })
	b.handledAfter("alice's 📌 removed", func() error { return b.dc.Unreact(ch, msg.ID, b.alice.Member, "📌") })
	if n := len(b.entries(1, drone.EntryUnpinned)); n != 0 {
		t.Fatalf("alice's reaction removed while bob's remains: %d corrections", n)
	}
	b.handledAfter("pin", func() error { return b.dc.PinMessage(ch, msg.ID, true) })
	b.handledAfter("pins again", func() error { return b.dc.PinMessage(ch, msg.ID, true) })
	b.handledAfter("bob's 📌 removed", func() error { return b.dc.Unreact(ch, msg.ID, b.bob.Member, "📌") })
	if p, u := len(b.entries(1, drone.EntryPinned)), len(b.entries(1, drone.EntryUnpinned)); p != 1 || u != 0 {
		t.Fatalf("with the pin holding: pinned %d, unpinned %d; want 1 and 0", p, u)
	}
	b.handledAfter("unpin", func() error { return b.dc.PinMessage(ch, msg.ID, false) })
	b.handledAfter("unpin again", func() error { return b.dc.PinMessage(ch, msg.ID, false) })
	un := b.entries(1, drone.EntryUnpinned)
	if len(un) != 1 || len(b.entries(1, drone.EntryPinned)) != 1 || !strings.Contains(un[0].Text, "correction") {
		t.Fatalf("corrections = %+v; want one, the pinned entry kept", un)
	}
	if out := drone.RenderRecord(b.h.Record(1)); !strings.Contains(out, posted.Format("2006-01-02 15:04:05")+"  alice put on the timeline bob's message") {
		t.Errorf("show does not give the message's time:\n%s", out)
	}

	// Reactions cleared by a moderator take the reaction's hold off.
	b.handledAfter("📌 again", func() error { return b.dc.React(ch, msg.ID, b.bob.Member, "📌") })
	b.handledAfter("reactions cleared", func() error { return b.dc.ClearReactions(ch, msg.ID) })
	un = b.entries(1, drone.EntryUnpinned)
	if p := len(b.entries(1, drone.EntryPinned)); p != 2 || len(un) != 2 || un[1].Actor.ID != "reactions" {
		t.Errorf("after a reaction and a clear: pinned %d, unpinned %+v; want 2 and 2, the last by discord:reactions", p, un)
	}
	// Each timeline event was a job of the durable queue; 👀 was none.
	if n := len(b.timelineJobs()); n != 11 {
		t.Errorf("%d discord.timeline jobs; want 11, one per 📌 reaction, pin and clear", n)
	}
}

// TestTimelineEventReplayedAndRetried: an event the gateway dispatches
// again (a resumed session's replay) is one job, and a message or pins
// Discord fails to give (429, 502) are read again by the queue, not lost.
func TestTimelineEventReplayedAndRetried(t *testing.T) {
	t.Parallel()
	b := setup(t, "gateway")
	ch, _ := declare(t, b, "AMBER")
	msg := b.dc.AddUserMessage(ch, b.bob.Member, "the proxy logs agree", nil)

	const getMessage, getPins = "GET /channels/{channel}/messages/{message}", "GET /channels/{channel}/pins"
	b.dc.Throttle(getMessage, 1, 0.05)
	b.dc.Drop(getMessage, 1)
	b.handledAfter("📌 by alice", func() error { return b.dc.React(ch, msg.ID, b.alice.Member, "📌") })
	b.handledAfter("📌 by alice replayed", b.dc.Replay)
	if n := len(b.entries(1, drone.EntryPinned)); n != 1 {
		t.Fatalf("pinned entries after a 429, a 502 and a replay: %d; want 1", n)
	}
	reads := 0
	for _, c := range b.dc.CallsTo(getMessage) {
		if strings.HasSuffix(c.Path, "/"+msg.ID) {
			reads++
		}
	}
	if reads != 3 {
		t.Errorf("the message was read %d times; want 3 (429, 502, then the message)", reads)
	}

	b.dc.Drop(getPins, 1)
	b.handledAfter("pin", func() error { return b.dc.PinMessage(ch, msg.ID, true) })
	b.handledAfter("pin replayed", b.dc.Replay)
	b.handledAfter("📌 taken back", func() error { return b.dc.Unreact(ch, msg.ID, b.alice.Member, "📌") })
	b.handledAfter("📌 taken back replayed", b.dc.Replay)
	if u := len(b.entries(1, drone.EntryUnpinned)); u != 0 {
		t.Fatalf("📌 taken back while pinned (the pins read again after a 502): %d corrections; want 0", u)
	}
	b.handledAfter("unpin", func() error { return b.dc.PinMessage(ch, msg.ID, false) })
	if p, u := len(b.entries(1, drone.EntryPinned)), len(b.entries(1, drone.EntryUnpinned)); p != 1 || u != 1 {
		t.Errorf("pinned %d, unpinned %d; want 1 and 1", p, u)
	}
	if n := len(b.timelineJobs()); n != 4 {
		t.Errorf("%d discord.timeline jobs for 4 events, 3 of them dispatched twice; want 4", n)
	}
}

// TestTimelineMenu: "Add to timeline" from a channel that is no
// incident's puts the message on the incident it names, or on the one
// named in a modal; the same message again adds nothing.
func TestTimelineMenu(t *testing.T) {
	t.Parallel()
	b := setup(t, "http", func(a *Adapter) { a.DeferAfter = workTimeout })
	declare(t, b, "AMBER")
	c := discordChat{b}
	elsewhere := b.dc.AddChannel(testGuild, "general")
	here := b.bob
	here.ChannelID = elsewhere
	msg := b.dc.AddUserMessage(elsewhere, b.alice.Member, "INC-1: the VPN logs show 198.51.100.7 too", nil)
	got := c.answer(here.TimelineMenu(msg))
	if !strings.Contains(got, "on the timeline of INC-1") || !strings.Contains(got, "198[.]51[.]100[.]7") {
		t.Errorf("answer = %q", got)
	}
	pinned := b.entries(1, drone.EntryPinned)
	if len(pinned) != 1 || !pinned[0].OccurredAt().Equal(discordtest.SnowflakeTime(msg.ID)) ||
		!strings.Contains(string(pinned[0].Data), `"via":"action"`) {
		t.Fatalf("pinned = %+v", pinned)
	}
	if got := c.answer(here.TimelineMenu(msg)); !strings.Contains(got, "already on the timeline") {
		t.Errorf("the same message again: %q", got)
	}

	other := b.dc.AddUserMessage(elsewhere, b.alice.Member, "the proxy logs agree", nil)
	r := b.send(here.TimelineMenu(other))
	must(t, r, typeModal, "Add to timeline")
	if err := discordtest.CheckModal(r); err != nil {
		t.Fatal(err)
	}
	if got := c.answer(here.Submit(r.Data.CustomID, map[string]string{fieldIncident: "INC-9"})); !strings.Contains(got, "INC-9") {
		t.Errorf("an unknown incident: %q", got)
	}
	if got := c.answer(here.Submit(r.Data.CustomID, map[string]string{fieldIncident: "INC-1"})); !strings.Contains(got, "on the timeline of INC-1") {
		t.Errorf("modal answer = %q", got)
	}
	if n := len(b.entries(1, drone.EntryPinned)); n != 2 {
		t.Errorf("pinned entries = %d; want 2", n)
	}

	// A private incident (RED) of alice's, named from elsewhere by bob, who
	// is none of its people: no such incident, nothing recorded.
	b.h.Declare(drone.Actor{Platform: "discord", ID: b.alice.Member.ID, Name: "alice"}, drone.DeclareInput{Category: "CAT1",
		Severity: "high", TLP: "RED", Overview: "payroll leak"})
	secret := b.dc.AddUserMessage(elsewhere, b.bob.Member, "INC-2 looks like the payroll leak", nil)
	if got := c.answer(here.TimelineMenu(secret)); !strings.Contains(got, "there is no INC-2") {
		t.Errorf("the menu naming a private incident: %q", got)
	}
	if n := len(b.entries(2, drone.EntryPinned)); n != 0 {
		t.Errorf("bob put %d messages on a private incident he may not see", n)
	}
}
