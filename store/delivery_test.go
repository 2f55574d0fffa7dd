package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
)

func TestDeliveriesWithABrokenTimeAreReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openSQLite(t)
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
