package drone_test

import (
	"context"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
)

func TestReportableClockAndReports(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	inc := f.declare(t, phishing)
	if _, err := f.svc.MarkReported(ctx, responder, here, inc.Number, "GDPR", ""); drone.ErrorCode(err) != drone.ECONFLICT {
		t.Fatalf("reporting an incident not reportable: %v, want ECONFLICT", err)
	}
	aware := f.clock.Now().Add(-2 * time.Hour)
	got, err := f.svc.MarkReportable(ctx, responder, here, inc.Number, drone.ReportableInput{AwareAt: aware, Note: "personal data"})
	if err != nil {
		t.Fatal(err)
	}
	if at, ok := got.AwareAt(); !ok || !at.Equal(aware) {
		t.Fatalf("AwareAt = %v %v, want %v", at, ok, aware)
	}
	if _, err := f.svc.MarkReportable(ctx, responder, here, inc.Number, drone.ReportableInput{}); drone.ErrorCode(err) != drone.ECONFLICT {
		t.Fatalf("marking twice: %v, want ECONFLICT", err)
	}
	if _, err := f.svc.MarkReportable(ctx, outsider, here, 1, drone.ReportableInput{}); drone.ErrorCode(err) != drone.EFORBIDDEN {
		t.Fatalf("outsider: %v, want EFORBIDDEN", err)
	}
	f.advance(time.Hour)
	got, err = f.svc.MarkReported(ctx, responder, here, inc.Number, "GDPR", "filed with the CNIL")
	if err != nil {
		t.Fatal(err)
	}
	if at, ok := got.ReportedAt("GDPR"); !ok || !at.Equal(f.clock.Now()) {
		t.Fatalf("ReportedAt = %v %v, want %v", at, ok, f.clock.Now())
	}
	rec, err := f.svc.Get(ctx, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range rec.Timeline {
		kinds[e.Kind]++
	}
	if kinds[drone.EntryReportable] != 1 || kinds[drone.EntryReported] != 1 {
		t.Fatalf("timeline kinds %v", kinds)
	}
	if err := drone.Verify(rec.Timeline); err != nil {
		t.Fatal(err)
	}
}

func TestRecordOnceRecordsOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	inc := f.declare(t, phishing)
	system := drone.Actor{Platform: "notify", ID: "drone"}
	before := len(f.jobs)
	for i, want := range []bool{true, false} {
		got, err := f.svc.RecordOnce(ctx, system, inc.ID, drone.EntryTargetMissed, "ack", "INC-1 was not acknowledged in time", map[string]string{"target": "acknowledge"})
		if err != nil || got != want {
			t.Fatalf("call %d: recorded %v, %v; want %v", i, got, err, want)
		}
	}
	if _, err := f.svc.RecordOnce(ctx, system, inc.ID, drone.EntryTargetMissed, "update", "update overdue", nil); err != nil {
		t.Fatal(err)
	}
	rec, err := f.svc.Get(ctx, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range rec.Timeline {
		if e.Kind == drone.EntryTargetMissed {
			n++
		}
	}
	if n != 2 || len(f.jobs)-before != 2 {
		t.Fatalf("%d entries and %d planned jobs, want 2 and 2", n, len(f.jobs)-before)
	}
}
