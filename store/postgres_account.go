package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

var (
	_ drone.Accounts          = (*Postgres)(nil)
	_ drone.IncidentSightings = (*Postgres)(nil)
)

// CreateAccount adds a console account; ECONFLICT when the name is taken.
func (db *Postgres) CreateAccount(ctx context.Context, a drone.Account) error {
	roles, err := json.Marshal(nonNil(a.Roles))
	if err != nil {
		return fmt.Errorf("encoding roles: %w", err)
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO web_account (`+accountColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
		ON CONFLICT (name) DO NOTHING`, a.Name, a.DisplayName, a.PasswordHash, string(roles), a.Clearance, a.Disabled,
		a.CreatedAt.UTC(), a.UpdatedAt.UTC())
	if err != nil {
		return fmt.Errorf("creating account %s: %w", a.Name, err)
	}
	if tag.RowsAffected() == 0 {
		return drone.Errorf(drone.ECONFLICT, "there is already an account %q", a.Name)
	}
	return nil
}

// Account returns the account with the given name; ENOTFOUND if none.
func (db *Postgres) Account(ctx context.Context, name string) (*drone.Account, error) {
	a, err := pgScanAccount(db.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM web_account WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, drone.Errorf(drone.ENOTFOUND, "there is no account %q", name)
	}
	return a, err
}

// ListAccounts returns every account by name.
func (db *Postgres) ListAccounts(ctx context.Context) ([]drone.Account, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+accountColumns+` FROM web_account ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing accounts: %w", err)
	}
	defer rows.Close()
	var out []drone.Account
	for rows.Next() {
		a, err := pgScanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// SaveAccount writes every field of an existing account; ENOTFOUND if none.
func (db *Postgres) SaveAccount(ctx context.Context, a drone.Account) error {
	roles, err := json.Marshal(nonNil(a.Roles))
	if err != nil {
		return fmt.Errorf("encoding roles: %w", err)
	}
	tag, err := db.pool.Exec(ctx, `UPDATE web_account SET display_name = $1, password_hash = $2, roles = $3,
		clearance = $4, disabled = $5, updated_at = $6 WHERE name = $7`, a.DisplayName, a.PasswordHash, string(roles),
		a.Clearance, a.Disabled, a.UpdatedAt.UTC(), a.Name)
	if err != nil {
		return fmt.Errorf("saving account %s: %w", a.Name, err)
	}
	if tag.RowsAffected() == 0 {
		return drone.Errorf(drone.ENOTFOUND, "there is no account %q", a.Name)
	}
	return nil
}

func pgScanAccount(row pgx.Row) (*drone.Account, error) {
	var a drone.Account
	var roles string
	if err := row.Scan(&a.Name, &a.DisplayName, &a.PasswordHash, &roles, &a.Clearance, &a.Disabled, &a.CreatedAt, &a.UpdatedAt); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("reading account: %w", err)
	}
	if err := json.Unmarshal([]byte(roles), &a.Roles); err != nil {
		return nil, fmt.Errorf("decoding roles of %s: %w", a.Name, err)
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

// CreateSession records a new console session.
func (db *Postgres) CreateSession(ctx context.Context, s drone.Session) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO web_session (id_hash, account, csrf, created_at, seen_at)
		VALUES ($1,$2,$3,$4,$5)`, s.IDHash, s.Account, s.CSRF, s.CreatedAt.UTC(), s.SeenAt.UTC())
	if err != nil {
		return fmt.Errorf("creating session: %w", err)
	}
	return nil
}

// Session returns the session with the given id hash; ENOTFOUND if none.
func (db *Postgres) Session(ctx context.Context, idHash string) (*drone.Session, error) {
	var s drone.Session
	err := db.pool.QueryRow(ctx, `SELECT id_hash, account, csrf, created_at, seen_at FROM web_session
		WHERE id_hash = $1`, idHash).Scan(&s.IDHash, &s.Account, &s.CSRF, &s.CreatedAt, &s.SeenAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, drone.Errorf(drone.ENOTFOUND, "no such session")
	}
	if err != nil {
		return nil, fmt.Errorf("reading session: %w", err)
	}
	s.CreatedAt, s.SeenAt = s.CreatedAt.UTC(), s.SeenAt.UTC()
	return &s, nil
}

// TouchSession moves a session's last-seen time forward.
func (db *Postgres) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	if _, err := db.pool.Exec(ctx, `UPDATE web_session SET seen_at = $1 WHERE id_hash = $2 AND seen_at < $1`,
		at.UTC(), idHash); err != nil {
		return fmt.Errorf("touching session: %w", err)
	}
	return nil
}

// DeleteSessions removes the sessions the filter selects (every field set
// must match; an empty filter removes nothing) and returns how many went.
func (db *Postgres) DeleteSessions(ctx context.Context, f drone.SessionFilter) (int, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.IDHash != "" {
		add("id_hash = $%d", f.IDHash)
	}
	if f.Account != "" {
		add("account = $%d", f.Account)
	}
	if !f.CreatedBefore.IsZero() {
		add("created_at < $%d", f.CreatedBefore.UTC())
	}
	if !f.SeenBefore.IsZero() {
		add("seen_at < $%d", f.SeenBefore.UTC())
	}
	if len(where) == 0 {
		return 0, nil
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM web_session WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return 0, fmt.Errorf("deleting sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Changes returns the ids of the incidents whose timelines grew after mark,
// each once in the order of their first new entry, and the new mark (see
// SQLite.Changes). On PostgreSQL transactions may commit out of order, so
// the mark is a transaction id: the oldest one still running when the
// feed was read. Every entry written by a transaction before it is
// returned once; entries of transactions still running are returned on a
// later read, when they have committed.
func (db *Postgres) Changes(ctx context.Context, mark int64) (int64, []string, error) {
	const horizon = `pg_snapshot_xmin(pg_current_snapshot())`
	if mark < 0 {
		var m int64
		if err := db.pool.QueryRow(ctx, `SELECT `+horizon+`::text::bigint`).Scan(&m); err != nil {
			return 0, nil, fmt.Errorf("reading the change mark: %w", err)
		}
		return m, nil, nil
	}
	rows, err := db.pool.Query(ctx, `WITH h AS (SELECT `+horizon+` AS x)
		SELECT h.x::text::bigint, t.incident_id FROM h
		LEFT JOIN timeline t ON t.txid >= $1::bigint::text::xid8 AND t.txid < h.x
		ORDER BY t.txid, t.seq`, mark)
	if err != nil {
		return mark, nil, fmt.Errorf("reading changes: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var ids []string
	next := mark
	for rows.Next() {
		var id *string
		if err := rows.Scan(&next, &id); err != nil {
			return mark, nil, fmt.Errorf("reading changes: %w", err)
		}
		if id != nil && !seen[*id] {
			seen[*id] = true
			ids = append(ids, *id)
		}
	}
	if err := rows.Err(); err != nil {
		return mark, nil, fmt.Errorf("reading changes: %w", err)
	}
	return next, ids, nil
}

// SightingsOf returns the sightings, in other incidents, of the observables
// of one incident, newest incident first, in one query.
func (db *Postgres) SightingsOf(ctx context.Context, incidentID string, limit int) ([]drone.Sighting, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.pool.Query(ctx, `SELECT o2.incident_id, i.number, o2.type, o2.value, o2.first_seen
		FROM observable o
		JOIN observable o2 ON o2.value = o.value AND o2.type = o.type AND o2.incident_id <> o.incident_id
		JOIN incident i ON i.id = o2.incident_id
		WHERE o.incident_id = $1 ORDER BY i.number DESC, o2.id LIMIT $2`, incidentID, limit)
	if err != nil {
		return nil, fmt.Errorf("looking up sightings: %w", err)
	}
	defer rows.Close()
	var out []drone.Sighting
	for rows.Next() {
		var s drone.Sighting
		var typ string
		if err := rows.Scan(&s.IncidentID, &s.Number, &typ, &s.Value, &s.FirstSeen); err != nil {
			return nil, fmt.Errorf("reading sighting: %w", err)
		}
		s.Type = ioc.Type(typ)
		s.FirstSeen = s.FirstSeen.UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}
