package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Deliveries records every message sent, by delivery key, in drone's
// database: a retried or replayed job finds its message there and sends
// nothing again, and the next message to an address about an incident
// finds the one to follow.
type Deliveries struct {
	db *sql.DB

	// Concurrent records are grouped into one transaction (one fsync):
	// the first caller writes its own and everyone's that arrived while
	// the previous group was committing.
	mu       sync.Mutex
	pending  []*pendingRecord
	flushing bool
}

// Sent is one recorded message.
type Sent struct {
	Key        string
	IncidentID string // "" for a digest
	Event      string
	Medium     string
	Address    string
	Ref        MessageRef
	At         time.Time
}

// sentAtFormat has a fixed width, so that the text sorts as the time does.
const sentAtFormat = "2006-01-02T15:04:05.000000000Z"

type pendingRecord struct {
	s    Sent
	done chan error
}

const deliverySchema = `
CREATE TABLE IF NOT EXISTS notify_delivery (
	key         TEXT PRIMARY KEY,
	incident_id TEXT NOT NULL,
	event       TEXT NOT NULL,
	medium      TEXT NOT NULL,
	address     TEXT NOT NULL,
	message_id  TEXT NOT NULL,
	thread      TEXT NOT NULL,
	sent_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notify_delivery_thread ON notify_delivery (incident_id, medium, address, sent_at);`

// OpenDeliveries creates the table of sent messages in db if needed.
func OpenDeliveries(ctx context.Context, db *sql.DB) (*Deliveries, error) {
	if _, err := db.ExecContext(ctx, deliverySchema); err != nil {
		return nil, fmt.Errorf("creating the notify_delivery table: %w", err)
	}
	return &Deliveries{db: db}, nil
}

// Get returns the message recorded for a delivery key; ok is false when
// none was sent.
func (d *Deliveries) Get(ctx context.Context, key string) (Sent, bool, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT key, incident_id, event, medium, address, message_id, thread, sent_at
		FROM notify_delivery WHERE key = ?`, key)
	if err != nil {
		return Sent{}, false, fmt.Errorf("reading delivery %s: %w", key, err)
	}
	list, err := scanSent(rows)
	if err != nil || len(list) == 0 {
		return Sent{}, false, err
	}
	return list[0], true, nil
}

// Last returns the last message sent to an address about an incident (the
// zero MessageRef when none).
func (d *Deliveries) Last(ctx context.Context, incidentID, medium, address string) (MessageRef, error) {
	var ref MessageRef
	err := d.db.QueryRowContext(ctx, `SELECT message_id, thread FROM notify_delivery
		WHERE incident_id = ? AND medium = ? AND address = ? ORDER BY sent_at DESC, rowid DESC LIMIT 1`,
		incidentID, medium, address).Scan(&ref.ID, &ref.Thread)
	if errors.Is(err, sql.ErrNoRows) {
		return MessageRef{}, nil
	}
	if err != nil {
		return MessageRef{}, fmt.Errorf("reading the last message to %s: %w", address, err)
	}
	return ref, nil
}

// List returns the messages recorded about an incident, oldest first.
func (d *Deliveries) List(ctx context.Context, incidentID string) ([]Sent, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT key, incident_id, event, medium, address, message_id, thread, sent_at
		FROM notify_delivery WHERE incident_id = ? ORDER BY sent_at, rowid`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("listing deliveries: %w", err)
	}
	return scanSent(rows)
}

func scanSent(rows *sql.Rows) ([]Sent, error) {
	defer rows.Close()
	var out []Sent
	for rows.Next() {
		var s Sent
		var at string
		if err := rows.Scan(&s.Key, &s.IncidentID, &s.Event, &s.Medium, &s.Address, &s.Ref.ID, &s.Ref.Thread, &at); err != nil {
			return nil, fmt.Errorf("reading deliveries: %w", err)
		}
		t, err := time.Parse(sentAtFormat, at)
		if err != nil {
			return nil, fmt.Errorf("reading delivery %s: sent_at: %w", s.Key, err)
		}
		s.At = t
		out = append(out, s)
	}
	return out, rows.Err()
}

// Record records a sent message. It returns once the record is on disk.
func (d *Deliveries) Record(ctx context.Context, s Sent) error {
	p := &pendingRecord{s: s, done: make(chan error, 1)}
	d.mu.Lock()
	d.pending = append(d.pending, p)
	lead := !d.flushing
	d.flushing = true
	d.mu.Unlock()
	if lead {
		d.flush(context.WithoutCancel(ctx))
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush writes the pending records, group by group, until none is left.
func (d *Deliveries) flush(ctx context.Context) {
	for {
		d.mu.Lock()
		group := d.pending
		d.pending = nil
		if len(group) == 0 {
			d.flushing = false
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		err := d.write(ctx, group)
		for _, p := range group {
			p.done <- err
		}
	}
}

func (d *Deliveries) write(ctx context.Context, group []*pendingRecord) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("recording deliveries: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, p := range group {
		s := p.s
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_delivery
			(key, incident_id, event, medium, address, message_id, thread, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (key) DO NOTHING`, s.Key, s.IncidentID, s.Event, s.Medium, s.Address, s.Ref.ID, s.Ref.Thread,
			s.At.UTC().Format(sentAtFormat)); err != nil {
			return fmt.Errorf("recording delivery %s: %w", s.Key, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("recording deliveries: %w", err)
	}
	return nil
}
