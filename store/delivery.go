package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ttp0/drone/drone"
)

// sentAtFormat has a fixed width, so that the text sorts as the time does.
// It is the format the notifier wrote before the store kept deliveries.
const sentAtFormat = "2006-01-02T15:04:05.000000000Z"

const (
	qRecordDelivery = `INSERT INTO notify_delivery
		(key, incident_id, event, medium, address, message_id, thread, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO NOTHING`
	qDeliveryColumns = `SELECT key, incident_id, event, medium, address, message_id, thread, sent_at FROM notify_delivery`
)

// RecordDelivery records a message sent; a key already recorded keeps its
// first record. It goes through the store's group commit like every write.
func (t *sqliteTx) RecordDelivery(ctx context.Context, d drone.Delivery) error {
	if _, err := t.exec(ctx, qRecordDelivery, d.Key, d.IncidentID, d.Event, d.Medium, d.Address, d.Ref.ID, d.Ref.Thread,
		d.At.UTC().Format(sentAtFormat)); err != nil {
		return fmt.Errorf("recording delivery %s: %w", d.Key, err)
	}
	return nil
}

// Delivery returns the message recorded for a delivery key; ok is false
// when none was sent.
func (db *SQLite) Delivery(ctx context.Context, key string) (drone.Delivery, bool, error) {
	rows, err := db.sql.QueryContext(ctx, qDeliveryColumns+` WHERE key = ?`, key)
	if err != nil {
		return drone.Delivery{}, false, fmt.Errorf("reading delivery %s: %w", key, err)
	}
	list, err := scanDeliveries(rows)
	if err != nil || len(list) == 0 {
		return drone.Delivery{}, false, err
	}
	return list[0], true, nil
}

// LastDelivery returns the last message sent to an address about an
// incident (the zero MessageRef when none).
func (db *SQLite) LastDelivery(ctx context.Context, incidentID, medium, address string) (drone.MessageRef, error) {
	var ref drone.MessageRef
	err := db.sql.QueryRowContext(ctx, `SELECT message_id, thread FROM notify_delivery
		WHERE incident_id = ? AND medium = ? AND address = ? ORDER BY sent_at DESC, rowid DESC LIMIT 1`,
		incidentID, medium, address).Scan(&ref.ID, &ref.Thread)
	if errors.Is(err, sql.ErrNoRows) {
		return drone.MessageRef{}, nil
	}
	if err != nil {
		return drone.MessageRef{}, fmt.Errorf("reading the last message to %s: %w", address, err)
	}
	return ref, nil
}

// Deliveries returns the messages sent about an incident, oldest first.
func (db *SQLite) Deliveries(ctx context.Context, incidentID string) ([]drone.Delivery, error) {
	rows, err := db.sql.QueryContext(ctx, qDeliveryColumns+` WHERE incident_id = ? ORDER BY sent_at, rowid`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("listing deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

// DeliveryCounts returns the number of messages sent, by medium.
func (db *SQLite) DeliveryCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT medium, COUNT(*) FROM notify_delivery GROUP BY medium`)
	if err != nil {
		return nil, fmt.Errorf("counting deliveries: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var medium string
		var n int64
		if err := rows.Scan(&medium, &n); err != nil {
			return nil, fmt.Errorf("counting deliveries: %w", err)
		}
		out[medium] = n
	}
	return out, rows.Err()
}

func scanDeliveries(rows *sql.Rows) ([]drone.Delivery, error) {
	defer rows.Close()
	var out []drone.Delivery
	for rows.Next() {
		var d drone.Delivery
		var at string
		if err := rows.Scan(&d.Key, &d.IncidentID, &d.Event, &d.Medium, &d.Address, &d.Ref.ID, &d.Ref.Thread, &at); err != nil {
			return nil, fmt.Errorf("reading deliveries: %w", err)
		}
		t, err := time.Parse(sentAtFormat, at)
		if err != nil {
			return nil, fmt.Errorf("reading delivery %s: sent_at %q: %w", d.Key, at, err)
		}
		d.At = t
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading deliveries: %w", err)
	}
	return out, nil
}
