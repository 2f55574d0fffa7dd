package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ttp0/drone/drone"
)

const pgDeliveryColumns = `SELECT key, incident_id, event, medium, address, message_id, thread, sent_at FROM notify_delivery`

// RecordDelivery records a message sent; a key already recorded keeps its
// first record.
func (t *pgTx) RecordDelivery(ctx context.Context, d drone.Delivery) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO notify_delivery
		(key, incident_id, event, medium, address, message_id, thread, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (key) DO NOTHING`, d.Key, d.IncidentID, d.Event, d.Medium, d.Address, d.Ref.ID, d.Ref.Thread, d.At.UTC())
	if err != nil {
		return fmt.Errorf("recording delivery %s: %w", d.Key, err)
	}
	return nil
}

// Delivery returns the message recorded for a delivery key; ok is false
// when none was sent.
func (db *Postgres) Delivery(ctx context.Context, key string) (drone.Delivery, bool, error) {
	list, err := db.deliveries(ctx, pgDeliveryColumns+` WHERE key = $1`, key)
	if err != nil || len(list) == 0 {
		return drone.Delivery{}, false, err
	}
	return list[0], true, nil
}

// LastDelivery returns the last message sent to an address about an
// incident (the zero MessageRef when none).
func (db *Postgres) LastDelivery(ctx context.Context, incidentID, medium, address string) (drone.MessageRef, error) {
	var ref drone.MessageRef
	err := db.pool.QueryRow(ctx, `SELECT message_id, thread FROM notify_delivery
		WHERE incident_id = $1 AND medium = $2 AND address = $3 ORDER BY sent_at DESC, id DESC LIMIT 1`,
		incidentID, medium, address).Scan(&ref.ID, &ref.Thread)
	if errors.Is(err, pgx.ErrNoRows) {
		return drone.MessageRef{}, nil
	}
	if err != nil {
		return drone.MessageRef{}, fmt.Errorf("reading the last message to %s: %w", address, err)
	}
	return ref, nil
}

// Deliveries returns the messages sent about an incident, oldest first.
func (db *Postgres) Deliveries(ctx context.Context, incidentID string) ([]drone.Delivery, error) {
	return db.deliveries(ctx, pgDeliveryColumns+` WHERE incident_id = $1 ORDER BY sent_at, id`, incidentID)
}

// DeliveryCounts returns the number of messages sent, by medium.
func (db *Postgres) DeliveryCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := db.pool.Query(ctx, `SELECT medium, COUNT(*) FROM notify_delivery GROUP BY medium`)
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

func (db *Postgres) deliveries(ctx context.Context, query string, args ...any) ([]drone.Delivery, error) {
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reading deliveries: %w", err)
	}
	defer rows.Close()
	var out []drone.Delivery
	for rows.Next() {
		var d drone.Delivery
		if err := rows.Scan(&d.Key, &d.IncidentID, &d.Event, &d.Medium, &d.Address, &d.Ref.ID, &d.Ref.Thread, &d.At); err != nil {
			return nil, fmt.Errorf("reading deliveries: %w", err)
		}
		d.At = d.At.UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading deliveries: %w", err)
	}
	return out, nil
}
