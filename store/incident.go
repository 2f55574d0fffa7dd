package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
)

// sqliteTx is one write transaction of the SQLite store. It implements drone.Tx.
type sqliteTx struct {
	tx   *sql.Tx
	db   *SQLite
	jobs []river.InsertManyParams // inserted together when the transaction ends
}

// exec runs a cached statement in the transaction.
func (t *sqliteTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.db.prepared(query)
	if err != nil {
		return nil, err
	}
	return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// queryRow runs a cached query in the transaction.
func (t *sqliteTx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.db.prepared(query)
	if err != nil {
		// Not a prepared query: run it directly rather than fail.
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}

var _ drone.Tx = (*sqliteTx)(nil)

// querier is what *sql.DB and *sql.Tx share, so reads serve both.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const incidentColumns = `id, number, title, category, category_name, subcontext, severity, severity_name,
	tier, zone, business_unit, tlp, pap, overview, reporter, lead, status, resolution, impact, summary,
	tags, external, declared_at, acknowledged_at, contained_at, resolved_at, closed_at, updated_at, next_update_due, roles, private`

var (
	qNextNumber     = `SELECT COALESCE(MAX(number), 0) + 1 FROM incident`
	qInsertIncident = `INSERT INTO incident (` + incidentColumns + `) VALUES (?` + strings.Repeat(",?", 30) + `)`
	qUpdateIncident = func() string {
		cols := strings.Split(strings.Join(strings.Fields(incidentColumns), ""), ",")
		set := make([]string, 0, len(cols))
		for _, c := range cols[2:] {
			set = append(set, c+" = ?")
		}
		return `UPDATE incident SET ` + strings.Join(set, ", ") + ` WHERE id = ?`
	}()
)

// NextNumber returns one more than the highest incident number. The write
// lock taken at BEGIN makes it safe against concurrent declarations.
func (t *sqliteTx) NextNumber(ctx context.Context) (int64, error) {
	var n int64
	if err := t.queryRow(ctx, qNextNumber).Scan(&n); err != nil {
		return 0, fmt.Errorf("numbering incident: %w", err)
	}
	return n, nil
}

// CreateIncident inserts a new incident.
func (t *sqliteTx) CreateIncident(ctx context.Context, inc *drone.Incident) error {
	args, err := incidentArgs(inc)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, qInsertIncident, args...)
	if err != nil {
		return fmt.Errorf("inserting %s: %w", inc.Ref(), err)
	}
	return t.putRefs(ctx, inc)
}

// SaveIncident writes every field of an existing incident.
func (t *sqliteTx) SaveIncident(ctx context.Context, inc *drone.Incident) error {
	args, err := incidentArgs(inc)
	if err != nil {
		return err
	}
	args = append(args[2:], inc.ID) // id and number never change
	res, err := t.exec(ctx, qUpdateIncident, args...)
	if err != nil {
		return fmt.Errorf("saving %s: %w", inc.Ref(), err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("saving %s: %d rows changed (%v)", inc.Ref(), n, err)
	}
	return t.putRefs(ctx, inc)
}

func incidentArgs(inc *drone.Incident) ([]any, error) {
	reporter, err := json.Marshal(inc.Reporter)
	if err != nil {
		return nil, fmt.Errorf("encoding reporter: %w", err)
	}
	tags, err := json.Marshal(nonNil(inc.Tags))
	if err != nil {
		return nil, fmt.Errorf("encoding tags: %w", err)
	}
	ext := inc.External
	if ext == nil {
		ext = map[string]string{}
	}
	external, err := json.Marshal(ext)
	if err != nil {
		return nil, fmt.Errorf("encoding external references: %w", err)
	}
	roles, err := json.Marshal(nonNilMap(inc.Roles))
	if err != nil {
		return nil, fmt.Errorf("encoding roles: %w", err)
	}
	return []any{inc.ID, inc.Number, inc.Title, inc.Category, inc.CategoryName, inc.SubContext, inc.Severity,
		inc.SeverityName, inc.Tier, inc.Zone, inc.BusinessUnit, inc.TLP, inc.PAP, inc.Overview, string(reporter),
		inc.Lead, string(inc.Status), inc.Resolution, inc.Impact, inc.Summary, string(tags), string(external),
		formatTime(inc.DeclaredAt), formatTimePtr(inc.AcknowledgedAt), formatTimePtr(inc.ContainedAt),
		formatTimePtr(inc.ResolvedAt), formatTimePtr(inc.ClosedAt), formatTime(inc.UpdatedAt),
		formatTimePtr(inc.NextUpdateDue), string(roles), inc.Private}, nil
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type scanner interface{ Scan(dest ...any) error }

func scanIncident(row scanner) (*drone.Incident, error) {
	var inc drone.Incident
	var status, reporter, tags, external, roles, declared, updated string
	var ack, cont, res, closed, due sql.NullString
	err := row.Scan(&inc.ID, &inc.Number, &inc.Title, &inc.Category, &inc.CategoryName, &inc.SubContext,
		&inc.Severity, &inc.SeverityName, &inc.Tier, &inc.Zone, &inc.BusinessUnit, &inc.TLP, &inc.PAP,
		&inc.Overview, &reporter, &inc.Lead, &status, &inc.Resolution, &inc.Impact, &inc.Summary, &tags,
		&external, &declared, &ack, &cont, &res, &closed, &updated, &due, &roles, &inc.Private)
	if err != nil {
		return nil, err
	}
	inc.Status = drone.Status(status)
	if err := errors.Join(json.Unmarshal([]byte(reporter), &inc.Reporter), json.Unmarshal([]byte(tags), &inc.Tags),
		json.Unmarshal([]byte(external), &inc.External), json.Unmarshal([]byte(roles), &inc.Roles)); err != nil {
		return nil, fmt.Errorf("decoding incident %d: %w", inc.Number, err)
	}
	if inc.DeclaredAt, err = parseTime(declared); err != nil {
		return nil, err
	}
	if inc.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	for _, p := range []struct {
		s   sql.NullString
		dst **time.Time
	}{{ack, &inc.AcknowledgedAt}, {cont, &inc.ContainedAt}, {res, &inc.ResolvedAt}, {closed, &inc.ClosedAt}, {due, &inc.NextUpdateDue}} {
		if !p.s.Valid {
			continue
		}
		t, err := parseTime(p.s.String)
		if err != nil {
			return nil, err
		}
		*p.dst = &t
	}
	if len(inc.External) == 0 {
		inc.External = nil
	}
	if len(inc.Roles) == 0 {
		inc.Roles = nil
	}
	return &inc, nil
}

func getIncident(ctx context.Context, q querier, where string, arg any) (*drone.Incident, error) {
	inc, err := scanIncident(q.QueryRowContext(ctx, `SELECT `+incidentColumns+` FROM incident WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, drone.Errorf(drone.ENOTFOUND, "no incident %v", arg)
	}
	if err != nil {
		return nil, fmt.Errorf("reading incident: %w", err)
	}
	return inc, nil
}

// Incident reads an incident inside the transaction.
func (t *sqliteTx) Incident(ctx context.Context, number int64) (*drone.Incident, error) {
	inc, err := getIncident(ctx, t.tx, "number = ?", number)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return nil, drone.Errorf(drone.ENOTFOUND, "there is no INC-%d", number)
	}
	return inc, err
}

// Incident returns the incident with the given number.
func (db *SQLite) Incident(ctx context.Context, number int64) (*drone.Incident, error) {
	inc, err := getIncident(ctx, db.sql, "number = ?", number)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return nil, drone.Errorf(drone.ENOTFOUND, "there is no INC-%d", number)
	}
	return inc, err
}

// IncidentByID returns the incident with the given UUID.
func (db *SQLite) IncidentByID(ctx context.Context, id string) (*drone.Incident, error) {
	return getIncident(ctx, db.sql, "id = ?", id)
}

// Incidents lists incidents, newest first.
func (db *SQLite) Incidents(ctx context.Context, f drone.IncidentFilter) ([]*drone.Incident, error) {
	q, args := incidentListing(f, false)
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing incidents: %w", err)
	}
	defer rows.Close()
	var out []*drone.Incident
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("listing incidents: %w", err)
		}
		out = append(out, inc)
	}
	return out, rows.Err()
}
