package storetest

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
)

func testFollowUps(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := service(db)
	inc := declare(t, svc, phishing)
	other := declare(t, svc, phishing)
	due := usec(time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC))
	a1, err := svc.AddFollowUp(ctx, operator, here, inc.Number, drone.FollowUpInput{Text: "rotate the VPN keys", Owner: "slack:U7", Due: &due})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := svc.AddFollowUp(ctx, operator, here, other.Number, drone.FollowUpInput{Text: "write the phishing rule"})
	if err != nil {
		t.Fatal(err)
	}
	if a1.Ref() != "ACT-1" || a2.Ref() != "ACT-2" {
		t.Fatalf("numbers %s %s, want ACT-1 ACT-2", a1.Ref(), a2.Ref())
	}
	if got, err := db.FollowUp(ctx, 1); err != nil || !reflect.DeepEqual(got, a1) {
		t.Errorf("read back (%v)\n%+v\nwant\n%+v", err, got, a1)
	}
	if _, err := svc.Close(ctx, operator, here, inc.Number, drone.CloseInput{Resolution: "TruePositive", Summary: "done"}); err != nil {
		t.Fatal(err)
	}
	open, err := db.FollowUps(ctx, drone.FollowUpFilter{Open: true})
	if err != nil || len(open) != 2 {
		t.Fatalf("after closing the incident, %d open actions (%v), want 2: closing leaves them", len(open), err)
	}
	done, err := svc.UpdateFollowUp(ctx, operator, here, 1, drone.FollowUpChange{Status: drone.ActionDone, Note: "rotated"})
	if err != nil || done.DoneAt == nil || done.Status != drone.ActionDone {
		t.Fatalf("marking done: %+v, %v", done, err)
	}
	if _, err := svc.SetFollowUpExternal(ctx, drone.Actor{Platform: "hive", ID: "drone"}, 2, map[string]string{"hive.task_id": "~9"}, "task ~9"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    drone.FollowUpFilter
		want []int64
	}{
		{drone.FollowUpFilter{}, []int64{1, 2}},
		{drone.FollowUpFilter{Open: true}, []int64{2}},
		{drone.FollowUpFilter{IncidentID: inc.ID}, []int64{1}},
		{drone.FollowUpFilter{Owner: "SLACK:u7"}, []int64{1}},
		{drone.FollowUpFilter{DueBefore: due.Add(time.Hour)}, []int64{1}},
		{drone.FollowUpFilter{DueBefore: due}, nil},
		{drone.FollowUpFilter{Limit: 1}, []int64{1}},
	} {
		got, err := db.FollowUps(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var nums []int64
		for _, f := range got {
			nums = append(nums, f.Number)
		}
		if !reflect.DeepEqual(nums, c.want) {
			t.Errorf("filter %+v: %v, want %v", c.f, nums, c.want)
		}
	}
	if got, _ := db.FollowUp(ctx, 2); got.External["hive.task_id"] != "~9" {
		t.Errorf("external reference not kept: %+v", got.External)
	}
	if _, err := db.FollowUp(ctx, 99); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Errorf("missing action: %v, want ENOTFOUND", err)
	}
	// Every change is on the incident's timeline, whose chain holds.
	rec := verify(t, svc, inc.Number)
	kinds := map[string]int{}
	for _, e := range rec.Timeline {
		kinds[e.Kind]++
	}
	if kinds[drone.EntryAction] != 1 || kinds[drone.EntryActionUpdated] != 1 {
		t.Errorf("timeline kinds %v, want one action and one action_updated", kinds)
	}
}

func testConcurrentFollowUps(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := service(db)
	var incs []*drone.Incident
	for range 3 {
		incs = append(incs, declare(t, svc, phishing))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.AddFollowUp(ctx, operator, here, incs[i%3].Number, drone.FollowUpInput{Text: "x"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.FollowUps(ctx, drone.FollowUpFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range all {
		if f.Number != int64(i+1) {
			t.Fatalf("action numbers %d at %d: gaps or duplicates", f.Number, i)
		}
	}
	if len(all) != 12 {
		t.Fatalf("%d actions, want 12", len(all))
	}
}

func testReviews(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := service(db)
	inc := declare(t, svc, phishing)
	if _, err := db.Review(ctx, inc.ID); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Fatalf("no review yet: %v, want ENOTFOUND", err)
	}
	at := usec(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	for i, md := range []string{"# first draft", "# second draft"} {
		r := &drone.Review{IncidentID: inc.ID, CreatedAt: at.Add(time.Duration(i) * time.Hour), Author: operator, Markdown: md, HTML: "<h1>" + md + "</h1>"}
		if err := db.Update(ctx, func(tx drone.Tx) error { return tx.SaveReview(ctx, r) }); err != nil {
			t.Fatal(err)
		}
		if r.Version != i+1 {
			t.Errorf("version %d, want %d", r.Version, i+1)
		}
	}
	got, err := db.Review(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := &drone.Review{IncidentID: inc.ID, Version: 2, CreatedAt: at.Add(time.Hour), Author: operator, Markdown: "# second draft", HTML: "<h1># second draft</h1>"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("latest review\n%+v\nwant\n%+v", got, want)
	}
}
