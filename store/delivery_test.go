package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
)

func TestDeliveriesAreRecordedOnceAndFollowed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := open(t)
	at := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	record := func(d drone.Delivery) {
		t.Helper()
		if err := db.Update(ctx, func(tx drone.Tx) error { return tx.RecordDelivery(ctx, d) }); err != nil {
			t.Fatal(err)
		}
	}
	first := drone.Delivery{Key: "k1", IncidentID: "1", Event: "declared", Medium: "email", Address: "a@x",
		Ref: drone.MessageRef{ID: "m1", Thread: "m1"}, At: at}
	record(first)
	record(drone.Delivery{Key: "k1", IncidentID: "1", Event: "declared", Medium: "email", Address: "a@x",
		Ref: drone.MessageRef{ID: "other"}, At: at.Add(time.Minute)}) // a replay keeps the first record
	record(drone.Delivery{Key: "k2", IncidentID: "1", Event: "update", Medium: "email", Address: "a@x",
		Ref: drone.MessageRef{ID: "m2", Thread: "m1"}, At: at.Add(time.Hour)})
	got, ok, err := db.Delivery(ctx, "k1")
	if err != nil || !ok || got.Ref.ID != "m1" || !got.At.Equal(at) {
		t.Fatalf("Delivery(k1) = %+v %v %v", got, ok, err)
	}
	if _, ok, err := db.Delivery(ctx, "nope"); ok || err != nil {
		t.Errorf("an unknown key: %v %v", ok, err)
	}
	last, err := db.LastDelivery(ctx, "1", "email", "a@x")
	if err != nil || last.ID != "m2" || last.Thread != "m1" {
		t.Errorf("LastDelivery = %+v, %v", last, err)
	}
	list, err := db.Deliveries(ctx, "1")
	if err != nil || len(list) != 2 || list[0].Key != "k1" || list[1].Key != "k2" {
		t.Errorf("Deliveries = %+v, %v", list, err)
	}
	counts, err := db.DeliveryCounts(ctx)
	if err != nil || counts["email"] != 2 {
		t.Errorf("DeliveryCounts = %v, %v", counts, err)
	}
}

func TestDeliveriesWithABrokenTimeAreReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := open(t)
	d := drone.Delivery{Key: "k1", IncidentID: "1", Event: "declared", Medium: "email", Address: "a@x", At: time.Now()}
	if err := db.Update(ctx, func(tx drone.Tx) error { return tx.RecordDelivery(ctx, d) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `UPDATE notify_delivery SET sent_at = 'yesterday' WHERE key = 'k1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Deliveries(ctx, "1"); err == nil || !strings.Contains(err.Error(), "reading delivery k1: sent_at") {
		t.Errorf("a broken sent_at gave %v", err)
	}
}
