package notify

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/store"
)

func TestDeliveriesWithABrokenTimeAreReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "drone.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d, err := OpenDeliveries(ctx, db.SQL())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	if err := d.Record(ctx, Sent{Key: "k1", IncidentID: "1", Event: "declared", Medium: "email", Address: "a@x", At: at}); err != nil {
		t.Fatal(err)
	}
	got, err := d.List(ctx, "1")
	if err != nil || len(got) != 1 || !got[0].At.Equal(at) {
		t.Fatalf("List = %+v, %v", got, err)
	}
	if _, err := db.SQL().ExecContext(ctx, `UPDATE notify_delivery SET sent_at = 'yesterday' WHERE key = 'k1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.List(ctx, "1"); err == nil || !strings.Contains(err.Error(), "reading delivery k1: sent_at") {
		t.Errorf("a broken sent_at gave %v", err)
	}
}
