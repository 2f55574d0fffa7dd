package drone_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/dronetest"
)

func chatMessage(posted time.Time) drone.ChatMessage {
	return drone.ChatMessage{Platform: "slack", Channel: "C1", ID: "1700000000.000100",
		Author: drone.Actor{Platform: "slack", ID: "U2", Name: "carol", Groups: []string{"S1"}}, PostedAt: posted,
		Text:        "beacon to 45.33.32.156 seen on the proxy",
		Attachments: []drone.ChatAttachment{{Name: "proxy.log", Size: 3, SHA256: strings.Repeat("ab", 32)}}}
}

func kinds(rec *drone.Record, kind string) []drone.Entry {
	var out []drone.Entry
	for _, e := range rec.Timeline {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// TestPinSourcesMakeOneEntry: a reaction and a pin of one message are one
// entry shown at the message's own time; taking one back changes nothing,
// taking the last back records a correction, and the chain still verifies.
func TestPinSourcesMakeOneEntry(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	inc := f.declare(t, phishing)
	posted := f.clock.Now().Add(-2 * time.Hour).UTC().Truncate(time.Microsecond)
	m := chatMessage(posted)
	f.advance(time.Minute)

	res, err := f.svc.PinMessage(ctx, responder, here, inc.Number, m, drone.PinByReaction)
	if err != nil || !res.Added {
		t.Fatalf("reaction: %+v %v", res, err)
	}
	if len(res.Indicators.Indicators) != 1 || res.Indicators.Indicators[0].Value != "45.33.32.156" {
		t.Errorf("indicators offered = %+v", res.Indicators)
	}
	for _, via := range []string{drone.PinByPin, drone.PinByReaction, drone.PinByAction} {
		res, err := f.svc.PinMessage(ctx, outsider, here, inc.Number, m, via)
		if err != nil || res.Added {
			t.Fatalf("%s again: %+v %v; want nothing added", via, res, err)
		}
	}
	rec, _ := f.svc.Get(ctx, inc.Number)
	pinned := kinds(rec, drone.EntryPinned)
	if len(pinned) != 1 {
		t.Fatalf("pinned entries = %d; want 1", len(pinned))
	}
	if got := pinned[0].OccurredAt(); !got.Equal(posted) {
		t.Errorf("OccurredAt = %v; want the message's time %v", got, posted)
	}
	if pinned[0].At.Equal(posted) {
		t.Error("the entry's At is the record time, not the message's")
	}
	if !strings.Contains(string(pinned[0].Data), `"sha256":"abab`) || strings.Contains(string(pinned[0].Data), `"groups"`) {
		t.Errorf("data = %s", pinned[0].Data)
	}
	if out := drone.RenderRecord(rec); !strings.Contains(out, posted.Format("2006-01-02 15:04:05")+"  bob put on the timeline carol's message") {
		t.Errorf("RenderRecord does not show the message at its time:\n%s", out)
	}
	if order := drone.InOrder(rec.Timeline); order[0].Kind != drone.EntryPinned {
		t.Errorf("the message posted before the declaration is not first: %s", order[0].Kind)
	}

	for _, via := range []string{drone.PinByReaction, drone.PinByAction, drone.PinByReaction} {
		if got, err := f.svc.UnpinMessage(ctx, responder, here, inc.Number, m, via); err != nil || got {
			t.Fatalf("removing %s: %v %v; want nothing recorded while the pin holds it", via, got, err)
		}
	}
	if got, err := f.svc.UnpinMessage(ctx, responder, here, inc.Number, m, drone.PinByPin); err != nil || !got {
		t.Fatalf("removing the pin: %v %v; want a correction", got, err)
	}
	if got, err := f.svc.UnpinMessage(ctx, responder, here, inc.Number, m, drone.PinByPin); err != nil || got {
		t.Fatalf("removing the pin twice: %v %v", got, err)
	}
	rec, _ = f.svc.Get(ctx, inc.Number)
	if n, u := len(kinds(rec, drone.EntryPinned)), len(kinds(rec, drone.EntryUnpinned)); n != 1 || u != 1 {
		t.Fatalf("pinned %d, unpinned %d; want 1 and 1", n, u)
	}
	if err := drone.Verify(rec.Timeline); err != nil {
		t.Fatal(err)
	}

	// Pinned again after the correction: on the timeline again.
	if res, err := f.svc.PinMessage(ctx, responder, here, inc.Number, m, drone.PinByReaction); err != nil || !res.Added {
		t.Fatalf("re-pin: %+v %v", res, err)
	}
	rec, _ = f.svc.Get(ctx, inc.Number)
	if n := len(kinds(rec, drone.EntryPinned)); n != 2 {
		t.Errorf("pinned entries after re-pinning = %d; want 2", n)
	}
}

// TestPinChecks: bad input is refused with a reason and stores nothing; a
// message is one entry per incident, not across incidents.
func TestPinChecks(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	one, two := f.declare(t, phishing), f.declare(t, phishing)
	m := chatMessage(f.clock.Now())
	bad := []struct {
		m   drone.ChatMessage
		via string
	}{{drone.ChatMessage{Platform: "slack", Channel: "C1"}, drone.PinByPin}, {m, "star"},
		{drone.ChatMessage{Platform: "slack", Channel: "C1", ID: "1"}, drone.PinByPin}}
	for _, b := range bad {
		if _, err := f.svc.PinMessage(ctx, responder, here, one.Number, b.m, b.via); drone.ErrorCode(err) != drone.EINVALID {
			t.Errorf("PinMessage(%+v, %q) = %v; want EINVALID", b.m, b.via, err)
		}
	}
	if _, err := f.svc.PinMessage(ctx, responder, here, 99, m, drone.PinByPin); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Errorf("unknown incident: %v", err)
	}
	for _, inc := range []*drone.Incident{one, two} {
		if res, err := f.svc.PinMessage(ctx, responder, here, inc.Number, m, drone.PinByAction); err != nil || !res.Added {
			t.Errorf("%s: %+v %v", inc.Ref(), res, err)
		}
	}
	long := m
	long.ID, long.Text = "2", strings.Repeat("x", drone.MaxPinnedText+10)
	if _, err := f.svc.PinMessage(ctx, responder, here, one.Number, long, drone.PinByPin); err != nil {
		t.Fatal(err)
	}
	rec, _ := f.svc.Get(ctx, one.Number)
	if p := kinds(rec, drone.EntryPinned); len(p) != 2 || len(p[1].Data) > drone.MaxPinnedText+1000 {
		t.Errorf("pinned = %d entries, last data %d bytes", len(p), len(p[len(p)-1].Data))
	}
}

func TestPinHeld(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	inc := f.declare(t, phishing)
	m := chatMessage(f.clock.Now())
	held := func(via string) bool {
		t.Helper()
		ok, err := f.svc.PinHeld(ctx, inc.Number, m, via)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if held(drone.PinByPin) {
		t.Fatal("held before anything")
	}
	if _, err := f.svc.PinMessage(ctx, responder, here, inc.Number, m, drone.PinByPin); err != nil {
		t.Fatal(err)
	}
	if !held(drone.PinByPin) || held(drone.PinByReaction) {
		t.Error("after a pin: the pin holds it, no reaction does")
	}
	if _, err := f.svc.UnpinMessage(ctx, responder, here, inc.Number, m, drone.PinByPin); err != nil {
		t.Fatal(err)
	}
	if held(drone.PinByPin) {
		t.Error("held after the unpin")
	}
	if _, err := f.svc.PinHeld(ctx, 42, m, drone.PinByPin); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Errorf("unknown incident: %v", err)
	}
}

// BenchmarkPinToggle measures a reaction put on and taken off one message,
// a pair of changes per iteration: the sources are read from references
// in the change's transaction, one lookup per addition seen, so a message
// toggled often costs more.
func BenchmarkPinToggle(b *testing.B) {
	h := dronetest.New(b)
	inc := h.Declare(drone.Actor{Platform: "local", ID: "op"}, drone.DeclareInput{Category: "CAT1", Severity: "high", Overview: "x"})
	m := chatMessage(time.Now())
	a := drone.Actor{Platform: "slack", ID: "U1"}
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.Service.PinMessage(h.Ctx, a, here, inc.Number, m, drone.PinByReaction); err != nil {
			b.Fatal(err)
		}
		if _, err := h.Service.UnpinMessage(h.Ctx, a, here, inc.Number, m, drone.PinByReaction); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPinToggledOften: a source put on and taken off many times is read
// right at every count (the count is searched, not walked).
func TestPinToggledOften(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	inc := f.declare(t, phishing)
	m := chatMessage(f.clock.Now())
	for i := 1; i <= 18; i++ {
		res, err := f.svc.PinMessage(ctx, responder, here, inc.Number, m, drone.PinByReaction)
		if err != nil || !res.Added {
			t.Fatalf("addition %d: %+v %v", i, res, err)
		}
		if res, err := f.svc.PinMessage(ctx, responder, here, inc.Number, m, drone.PinByReaction); err != nil || res.Added {
			t.Fatalf("addition %d again: %+v %v", i, res, err)
		}
		if got, err := f.svc.UnpinMessage(ctx, responder, here, inc.Number, m, drone.PinByReaction); err != nil || !got {
			t.Fatalf("removal %d: %v %v", i, got, err)
		}
	}
	rec, _ := f.svc.Get(ctx, inc.Number)
	if p, u := len(kinds(rec, drone.EntryPinned)), len(kinds(rec, drone.EntryUnpinned)); p != 18 || u != 18 {
		t.Errorf("pinned %d, unpinned %d; want 18 and 18", p, u)
	}
}
