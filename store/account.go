package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
)

var _ drone.Accounts = (*SQLite)(nil)

const accountColumns = `name, display_name, password_hash, roles, clearance, disabled, created_at, updated_at`

// CreateAccount adds a console account; ECONFLICT when the name is taken.
func (db *SQLite) CreateAccount(ctx context.Context, a drone.Account) error {
	roles, err := json.Marshal(nonNil(a.Roles))
	if err != nil {
		return fmt.Errorf("encoding roles: %w", err)
	}
	res, err := db.sql.ExecContext(ctx, `INSERT INTO web_account (`+accountColumns+`) VALUES (?,?,?,?,?,?,?,?)
		ON CONFLICT (name) DO NOTHING`, a.Name, a.DisplayName, a.PasswordHash, string(roles), a.Clearance, a.Disabled,
		formatTime(a.CreatedAt), formatTime(a.UpdatedAt))
	if err != nil {
		return fmt.Errorf("creating account %s: %w", a.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return drone.Errorf(drone.ECONFLICT, "there is already an account %q", a.Name)
	}
	return nil
}

// Account returns the account with the given name; ENOTFOUND if none.
func (db *SQLite) Account(ctx context.Context, name string) (*drone.Account, error) {
	row := db.sql.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM web_account WHERE name = ?`, name)
	a, err := scanAccount(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, drone.Errorf(drone.ENOTFOUND, "there is no account %q", name)
	}
	return a, err
}

// ListAccounts returns every account by name.
func (db *SQLite) ListAccounts(ctx context.Context) ([]drone.Account, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+accountColumns+` FROM web_account ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing accounts: %w", err)
	}
	defer rows.Close()
	var out []drone.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// SaveAccount writes every field of an existing account; ENOTFOUND if none.
func (db *SQLite) SaveAccount(ctx context.Context, a drone.Account) error {
	roles, err := json.Marshal(nonNil(a.Roles))
	if err != nil {
		return fmt.Errorf("encoding roles: %w", err)
	}
	res, err := db.sql.ExecContext(ctx, `UPDATE web_account SET display_name = ?, password_hash = ?, roles = ?,
		clearance = ?, disabled = ?, updated_at = ? WHERE name = ?`, a.DisplayName, a.PasswordHash, string(roles),
		a.Clearance, a.Disabled, formatTime(a.UpdatedAt), a.Name)
	if err != nil {
		return fmt.Errorf("saving account %s: %w", a.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return drone.Errorf(drone.ENOTFOUND, "there is no account %q", a.Name)
	}
	return nil
}

func scanAccount(row scanner) (*drone.Account, error) {
	var a drone.Account
	var roles, created, updated string
	if err := row.Scan(&a.Name, &a.DisplayName, &a.PasswordHash, &roles, &a.Clearance, &a.Disabled, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("reading account: %w", err)
	}
	if err := json.Unmarshal([]byte(roles), &a.Roles); err != nil {
		return nil, fmt.Errorf("decoding roles of %s: %w", a.Name, err)
	}
	var err error
	if a.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if a.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	return &a, nil
}

// CreateSession records a new console session.
func (db *SQLite) CreateSession(ctx context.Context, s drone.Session) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO web_session (id_hash, account, csrf, created_at, seen_at)
		VALUES (?,?,?,?,?)`, s.IDHash, s.Account, s.CSRF, formatTime(s.CreatedAt), formatTime(s.SeenAt))
	if err != nil {
		return fmt.Errorf("creating session: %w", err)
	}
	return nil
}

// Session returns the session with the given id hash; ENOTFOUND if none.
func (db *SQLite) Session(ctx context.Context, idHash string) (*drone.Session, error) {
	var s drone.Session
	var created, seen string
	err := db.sql.QueryRowContext(ctx, `SELECT id_hash, account, csrf, created_at, seen_at FROM web_session
		WHERE id_hash = ?`, idHash).Scan(&s.IDHash, &s.Account, &s.CSRF, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, drone.Errorf(drone.ENOTFOUND, "no such session")
	}
	if err != nil {
		return nil, fmt.Errorf("reading session: %w", err)
	}
	if s.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if s.SeenAt, err = parseTime(seen); err != nil {
		return nil, err
	}
	return &s, nil
}

// TouchSession moves a session's last-seen time forward.
func (db *SQLite) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	if _, err := db.sql.ExecContext(ctx, `UPDATE web_session SET seen_at = ? WHERE id_hash = ? AND seen_at < ?`,
		formatTime(at), idHash, formatTime(at)); err != nil {
		return fmt.Errorf("touching session: %w", err)
	}
	return nil
}

// DeleteSessions removes the sessions the filter selects (every field set
// must match; an empty filter removes nothing) and returns how many went.
func (db *SQLite) DeleteSessions(ctx context.Context, f drone.SessionFilter) (int, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.IDHash != "" {
		add("id_hash = ?", f.IDHash)
	}
	if f.Account != "" {
		add("account = ?", f.Account)
	}
	if !f.CreatedBefore.IsZero() {
		add("created_at < ?", formatTime(f.CreatedBefore))
	}
	if !f.SeenBefore.IsZero() {
		add("seen_at < ?", formatTime(f.SeenBefore))
	}
	if len(where) == 0 {
		return 0, nil
	}
	res, err := db.sql.ExecContext(ctx, `DELETE FROM web_session WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return 0, fmt.Errorf("deleting sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Changes returns the ids of the incidents whose timelines grew after mark
// (a position in the order entries were written, any store-specific
// number), each once in the order of their first new entry, and the new
// mark. A mark below zero returns the current mark and no incidents: a
// reader starts there and polls. The web console polls it every second to
// learn of changes made by any process.
func (db *SQLite) Changes(ctx context.Context, mark int64) (int64, []string, error) {
	if mark < 0 {
		var m int64
		if err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(rowid), 0) FROM timeline`).Scan(&m); err != nil {
			return 0, nil, fmt.Errorf("reading the change mark: %w", err)
		}
		return m, nil, nil
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT rowid, incident_id FROM timeline WHERE rowid > ? ORDER BY rowid LIMIT 10000`, mark)
	if err != nil {
		return mark, nil, fmt.Errorf("reading changes: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&mark, &id); err != nil {
			return mark, nil, fmt.Errorf("reading changes: %w", err)
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return mark, ids, rows.Err()
}

var _ drone.IncidentSightings = (*SQLite)(nil)

// SightingsOf returns the sightings, in other incidents, of the observables
// of one incident, newest incident first, in one query.
func (db *SQLite) SightingsOf(ctx context.Context, incidentID string, limit int) ([]drone.Sighting, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT o2.incident_id, i.number, o2.type, o2.value, o2.first_seen
		FROM observable o
		JOIN observable o2 ON o2.value = o.value AND o2.type = o.type AND o2.incident_id <> o.incident_id
		JOIN incident i ON i.id = o2.incident_id
		WHERE o.incident_id = ? ORDER BY i.number DESC, o2.id LIMIT ?`, incidentID, limit)
	if err != nil {
		return nil, fmt.Errorf("looking up sightings: %w", err)
	}
	return scanSightings(rows)
}
