package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

// Incident returns the incident with the given number.
func (db *Postgres) Incident(ctx context.Context, number int64) (*drone.Incident, error) {
	inc, err := pgGetIncident(ctx, db.pool, "number = $1", number)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return nil, drone.Errorf(drone.ENOTFOUND, "there is no INC-%d", number)
	}
	return inc, err
}

// IncidentByID returns the incident with the given UUID.
func (db *Postgres) IncidentByID(ctx context.Context, id string) (*drone.Incident, error) {
	return pgGetIncident(ctx, db.pool, "id = $1", id)
}

// Incidents lists incidents, newest first.
func (db *Postgres) Incidents(ctx context.Context, f drone.IncidentFilter) ([]*drone.Incident, error) {
	q, args := incidentListing(f, true)
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing incidents: %w", err)
	}
	defer rows.Close()
	var out []*drone.Incident
	for rows.Next() {
		inc, err := pgScanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("listing incidents: %w", err)
		}
		out = append(out, inc)
	}
	return out, rows.Err()
}

// Observables returns an incident's observables in the order they were added.
func (db *Postgres) Observables(ctx context.Context, incidentID string) ([]drone.Observable, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, incident_id, type, value, raw, tlp, ioc, internal, tags,
		added_by, origin, first_seen FROM observable WHERE incident_id = $1 ORDER BY id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("reading observables: %w", err)
	}
	defer rows.Close()
	var out []drone.Observable
	var dec observableDecoder
	for rows.Next() {
		var o drone.Observable
		var typ, tags, by, origin string
		if err := rows.Scan(&o.ID, &o.IncidentID, &typ, &o.Value, &o.Raw, &o.TLP, &o.IOC, &o.Internal, &tags,
			&by, &origin, &o.FirstSeen); err != nil {
			return nil, fmt.Errorf("reading observable: %w", err)
		}
		if err := dec.decode(&o, tags, by, origin); err != nil {
			return nil, fmt.Errorf("decoding observable %d: %w", o.ID, err)
		}
		o.Type, o.FirstSeen = ioc.Type(typ), o.FirstSeen.UTC()
		out = append(out, o)
	}
	return out, rows.Err()
}

// Timeline returns an incident's entries in order.
func (db *Postgres) Timeline(ctx context.Context, incidentID string) ([]drone.Entry, error) {
	return pgTimeline(ctx, db.pool, incidentID)
}

func pgTimeline(ctx context.Context, q pgQuerier, incidentID string) ([]drone.Entry, error) {
	rows, err := q.Query(ctx, `SELECT incident_id, seq, at, actor, origin, kind, text, data,
		prev_hash, hash FROM timeline WHERE incident_id = $1 ORDER BY seq`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("reading timeline: %w", err)
	}
	defer rows.Close()
	var out []drone.Entry
	for rows.Next() {
		var e drone.Entry
		var data *string
		if err := rows.Scan(&e.IncidentID, &e.Seq, &e.At, &e.Actor, &e.Origin, &e.Kind, &e.Text, &data,
			&e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("reading timeline entry: %w", err)
		}
		if data != nil {
			e.Data = []byte(*data)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Sightings returns the incidents an indicator was seen in, newest first. An
// empty typ matches any type.
func (db *Postgres) Sightings(ctx context.Context, typ, value string, limit int) ([]drone.Sighting, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := db.pool.Query(ctx, `SELECT o.incident_id, i.number, o.type, o.value, o.first_seen FROM observable o
		JOIN incident i ON i.id = o.incident_id WHERE o.value = $1 AND ($2 = '' OR o.type = $2)
		ORDER BY o.first_seen DESC LIMIT $3`, value, typ, limit)
	if err != nil {
		return nil, fmt.Errorf("looking up %q: %w", value, err)
	}
	defer rows.Close()
	var out []drone.Sighting
	for rows.Next() {
		var s drone.Sighting
		var typ string
		if err := rows.Scan(&s.IncidentID, &s.Number, &typ, &s.Value, &s.FirstSeen); err != nil {
			return nil, fmt.Errorf("reading sighting: %w", err)
		}
		s.Type, s.FirstSeen = ioc.Type(typ), s.FirstSeen.UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// IncidentByRef returns the incident an external reference names.
func (db *Postgres) IncidentByRef(ctx context.Context, key, value string) (*drone.Incident, error) {
	n, err := pgFindRef(ctx, db.pool, key, value)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, drone.Errorf(drone.ENOTFOUND, "no incident has %s %s", key, value)
	}
	return db.Incident(ctx, n)
}

// Claim records key and reports whether this is its first claim, so that a
// delivery retried by a chat platform, or handed to two replicas, is
// handled once. Claims older than a day are forgotten.
func (db *Postgres) Claim(ctx context.Context, key string) (bool, error) {
	first := false
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		now := time.Now()
		if _, err := tx.Exec(ctx, `DELETE FROM claim WHERE at < $1`, now.Add(-24*time.Hour)); err != nil {
			return fmt.Errorf("forgetting old claims: %w", err)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO claim (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, now)
		if err != nil {
			return fmt.Errorf("claiming %s: %w", key, err)
		}
		first = tag.RowsAffected() == 1
		return nil
	})
	return first, err
}

// NewQueue returns a Queue that runs jobs with the given workers: those of
// the default queue with cfg.Workers, those of each lane with its own.
func (db *Postgres) NewQueue(workers *river.Workers, cfg QueueConfig, log *slog.Logger, lanes ...Lane) (*Queue, error) {
	return newQueue(riverpgxv5.New(db.pool), workers, cfg, log, lanes)
}

// Jobs lists jobs in the given states (all when none), oldest first, at most limit.
func (db *Postgres) Jobs(ctx context.Context, limit int, states ...string) ([]JobInfo, error) {
	return listJobs(ctx, db.river, limit, states)
}

// RetryJob makes a dead or waiting job due now, with its attempts reset by
// River so that it gets a full set again.
func (db *Postgres) RetryJob(ctx context.Context, id int64) (JobInfo, error) {
	return retryJob(ctx, db.river, id)
}

// Due counts the jobs that can run now (available or running); scheduled and
// retryable jobs wait for their time.
func (db *Postgres) Due(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM river_job WHERE state IN ('available', 'running')
		OR (state IN ('scheduled', 'retryable') AND scheduled_at <= now())`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting due jobs: %w", err)
	}
	return n, nil
}

// Counts counts incidents by status and jobs by state.
func (db *Postgres) Counts(ctx context.Context) (Counts, error) {
	c := Counts{Incidents: map[string]int{}, Jobs: map[string]int{}}
	for _, q := range []struct {
		sql string
		dst map[string]int
	}{
		{`SELECT status, COUNT(*) FROM incident GROUP BY status`, c.Incidents},
		{`SELECT state::text, COUNT(*) FROM river_job GROUP BY state`, c.Jobs},
	} {
		rows, err := db.pool.Query(ctx, q.sql)
		if err != nil {
			return Counts{}, fmt.Errorf("counting: %w", err)
		}
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				rows.Close()
				return Counts{}, fmt.Errorf("counting: %w", err)
			}
			q.dst[k] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return Counts{}, fmt.Errorf("counting: %w", err)
		}
	}
	return c, nil
}

// RescueStuck makes due again the jobs of the given kinds (every kind when
// none is given) that have been running for longer than after; see
// SQLite.RescueStuck. drone serve does not call it on PostgreSQL, where
// River's rescuer, run by the leading replica, does the same all along;
// called by hand with several replicas, after must exceed twice the
// queue's job timeout on every one of them, so that no live attempt is
// taken.
func (db *Postgres) RescueStuck(ctx context.Context, after time.Duration, kinds ...string) (int64, error) {
	q := `UPDATE river_job SET state = 'available', scheduled_at = now()
		WHERE state = 'running' AND attempted_at < now() - make_interval(secs => $1)`
	args := []any{after.Seconds()}
	if len(kinds) > 0 {
		q += ` AND kind = ANY($2)`
		args = append(args, kinds)
	}
	tag, err := db.pool.Exec(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("rescuing stuck jobs: %w", err)
	}
	return tag.RowsAffected(), nil
}
