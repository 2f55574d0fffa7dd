package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
)

// pgTx is one transaction of the PostgreSQL store. It implements drone.Tx.
type pgTx struct {
	tx   pgx.Tx
	db   *Postgres
	jobs []river.InsertManyParams // inserted together when the transaction ends
}

var _ drone.Tx = (*pgTx)(nil)

// placeholders returns "$from, $from+1, ..." for n parameters.
func placeholders(from, n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(p, ", ")
}

var (
	pgInsertIncident = `INSERT INTO incident (` + incidentColumns + `) VALUES (` + placeholders(1, 31) + `)`
	pgUpdateIncident = func() string {
		cols := strings.Split(strings.Join(strings.Fields(incidentColumns), ""), ",")
		set := make([]string, 0, len(cols))
		for i, c := range cols[2:] {
			set = append(set, c+" = $"+strconv.Itoa(i+1))
		}
		return `UPDATE incident SET ` + strings.Join(set, ", ") + ` WHERE id = $` + strconv.Itoa(len(cols)-1)
	}()
)

// NextNumber returns one more than the highest incident number. Numbers
// stay gap-free as on SQLite: a transaction lock serialises declarations
// from the number to their commit, and the highest number is read only
// once the lock is held, so it includes the declaration that held it before.
func (t *pgTx) NextNumber(ctx context.Context) (int64, error) {
	var n int64
	err := t.lockThenRead(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, []any{lockClass, lockNumber},
		`SELECT COALESCE(MAX(number), 0) + 1 FROM incident`, nil, &n)
	if err != nil {
		return 0, fmt.Errorf("numbering incident: %w", err)
	}
	return n, nil
}

// lockThenRead runs a statement that takes a lock, then a query, in one
// round trip (a pipeline). The server runs them one after the other, and
// the query takes its snapshot only once the lock is granted: it sees what
// the lock's previous holder committed. It returns pgx.ErrNoRows when the
// query finds nothing.
func (t *pgTx) lockThenRead(ctx context.Context, lock string, lockArgs []any, query string, args []any, dest ...any) error {
	var b pgx.Batch
	b.Queue(lock, lockArgs...)
	b.Queue(query, args...)
	br := t.tx.SendBatch(ctx, &b)
	_, err := br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(dest...)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// CreateIncident inserts a new incident.
func (t *pgTx) CreateIncident(ctx context.Context, inc *drone.Incident) error {
	if _, err := t.tx.Exec(ctx, pgInsertIncident, pgIncidentArgs(inc)...); err != nil {
		return fmt.Errorf("inserting %s: %w", inc.Ref(), err)
	}
	return t.putRefs(ctx, inc)
}

// SaveIncident writes every field of an existing incident.
func (t *pgTx) SaveIncident(ctx context.Context, inc *drone.Incident) error {
	args := append(pgIncidentArgs(inc)[2:], inc.ID) // id and number never change
	tag, err := t.tx.Exec(ctx, pgUpdateIncident, args...)
	if err != nil {
		return fmt.Errorf("saving %s: %w", inc.Ref(), err)
	}
	if n := tag.RowsAffected(); n != 1 {
		return fmt.Errorf("saving %s: %d rows changed", inc.Ref(), n)
	}
	return t.putRefs(ctx, inc)
}

// pgIncidentArgs are an incident's columns in incidentColumns' order; pgx
// encodes the JSONB columns from the values themselves.
func pgIncidentArgs(inc *drone.Incident) []any {
	ext := inc.External
	if ext == nil {
		ext = map[string]string{}
	}
	return []any{inc.ID, inc.Number, inc.Title, inc.Category, inc.CategoryName, inc.SubContext, inc.Severity,
		inc.SeverityName, inc.Tier, inc.Zone, inc.BusinessUnit, inc.TLP, inc.PAP, inc.Overview, inc.Reporter,
		inc.Lead, string(inc.Status), inc.Resolution, inc.Impact, inc.Summary, nonNil(inc.Tags), ext,
		inc.DeclaredAt, inc.AcknowledgedAt, inc.ContainedAt, inc.ResolvedAt, inc.ClosedAt, inc.UpdatedAt,
		inc.NextUpdateDue, nonNilMap(inc.Roles), inc.Private}
}

func pgScanIncident(row pgx.Row) (*drone.Incident, error) {
	var inc drone.Incident
	var status string
	err := row.Scan(&inc.ID, &inc.Number, &inc.Title, &inc.Category, &inc.CategoryName, &inc.SubContext,
		&inc.Severity, &inc.SeverityName, &inc.Tier, &inc.Zone, &inc.BusinessUnit, &inc.TLP, &inc.PAP,
		&inc.Overview, &inc.Reporter, &inc.Lead, &status, &inc.Resolution, &inc.Impact, &inc.Summary, &inc.Tags,
		&inc.External, &inc.DeclaredAt, &inc.AcknowledgedAt, &inc.ContainedAt, &inc.ResolvedAt, &inc.ClosedAt,
		&inc.UpdatedAt, &inc.NextUpdateDue, &inc.Roles, &inc.Private)
	if err != nil {
		return nil, err
	}
	inc.Status = drone.Status(status)
	inc.DeclaredAt, inc.UpdatedAt = inc.DeclaredAt.UTC(), inc.UpdatedAt.UTC()
	for _, p := range []**time.Time{&inc.AcknowledgedAt, &inc.ContainedAt, &inc.ResolvedAt, &inc.ClosedAt, &inc.NextUpdateDue} {
		if *p != nil {
			u := (*p).UTC()
			*p = &u
		}
	}
	if len(inc.External) == 0 {
		inc.External = nil
	}
	if len(inc.Roles) == 0 {
		inc.Roles = nil
	}
	return &inc, nil
}

// pgQuerier is what the pool and a transaction share, so reads serve both.
type pgQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func pgGetIncident(ctx context.Context, q pgQuerier, where string, arg any) (*drone.Incident, error) {
	inc, err := pgScanIncident(q.QueryRow(ctx, `SELECT `+incidentColumns+` FROM incident WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, drone.Errorf(drone.ENOTFOUND, "no incident %v", arg)
	}
	if err != nil {
		return nil, fmt.Errorf("reading incident: %w", err)
	}
	return inc, nil
}

// Incident reads an incident inside the transaction for a change: it locks
// the incident's row until the transaction ends, so that changes to one
// incident run one after the other and each reads the one before it.
func (t *pgTx) Incident(ctx context.Context, number int64) (*drone.Incident, error) {
	inc, err := pgGetIncident(ctx, t.tx, "number = $1 FOR NO KEY UPDATE", number)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return nil, drone.Errorf(drone.ENOTFOUND, "there is no INC-%d", number)
	}
	return inc, err
}

// AddObservables inserts the observables new to their incident and returns
// them with their ids; the unique (incident, type, value) key skips the rest.
func (t *pgTx) AddObservables(ctx context.Context, obs []drone.Observable) ([]drone.Observable, error) {
	if len(obs) == 0 {
		return nil, nil
	}
	var b pgx.Batch // one round trip for them all
	for _, o := range obs {
		b.Queue(`INSERT INTO observable (incident_id, type, value, raw, tlp, ioc, internal, tags, added_by, origin, first_seen)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (incident_id, type, value) DO NOTHING RETURNING id`,
			o.IncidentID, string(o.Type), o.Value, o.Raw, o.TLP, o.IOC, o.Internal, nonNil(o.Tags), o.AddedBy,
			o.Origin, o.FirstSeen)
	}
	br := t.tx.SendBatch(ctx, &b)
	defer br.Close()
	var added []drone.Observable
	for _, o := range obs {
		err := br.QueryRow().Scan(&o.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // known already
		}
		if err != nil {
			return nil, fmt.Errorf("inserting observable %s %q: %w", o.Type, o.Value, err)
		}
		added = append(added, o)
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("inserting observables: %w", err)
	}
	return added, nil
}

// LastEntry returns the sequence and hash of an incident's last entry. It
// first locks the incident's row (as Incident does), then reads the
// timeline in a statement of its own, which therefore sees every entry
// committed before the lock was granted: two changes to one incident never
// chain to the same entry.
func (t *pgTx) LastEntry(ctx context.Context, incidentID string) (int64, string, error) {
	var seq int64
	var hash string
	err := t.lockThenRead(ctx, `SELECT 1 FROM incident WHERE id = $1 FOR NO KEY UPDATE`, []any{incidentID},
		`SELECT seq, hash FROM timeline WHERE incident_id = $1 ORDER BY seq DESC LIMIT 1`, []any{incidentID}, &seq, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("reading last timeline entry: %w", err)
	}
	return seq, hash, nil
}

// AppendEntry adds an entry to an incident's timeline.
func (t *pgTx) AppendEntry(ctx context.Context, e *drone.Entry) error {
	var data *string
	if len(e.Data) > 0 {
		s := string(e.Data)
		data = &s
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO timeline (incident_id, seq, at, actor, origin, kind, text, data, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.IncidentID, e.Seq, e.At, e.Actor, e.Origin, e.Kind, e.Text, data, e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("appending timeline entry %d: %w", e.Seq, err)
	}
	return nil
}

// PutRef records that (key, value) names the incident; a pair already taken
// keeps its incident.
func (t *pgTx) PutRef(ctx context.Context, incidentID, key, value string) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO incident_ref (key, value, incident_id) VALUES ($1, $2, $3)
		ON CONFLICT (key, value) DO NOTHING`, key, value, incidentID)
	if err != nil {
		return fmt.Errorf("recording reference %s: %w", key, err)
	}
	return nil
}

// putRefs records an incident's external references, in a stable order.
func (t *pgTx) putRefs(ctx context.Context, inc *drone.Incident) error {
	keys := make([]string, 0, len(inc.External))
	for k := range inc.External {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := t.PutRef(ctx, inc.ID, k, inc.External[k]); err != nil {
			return err
		}
	}
	return nil
}

// FindRef returns the number of the incident (key, value) names, or 0. It
// holds a transaction lock on the pair, so that a look-up followed by its
// PutRef is atomic: two declarations with one idempotency key, on two
// replicas at once, make one incident (the second waits, then finds it).
func (t *pgTx) FindRef(ctx context.Context, key, value string) (int64, error) {
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2 || chr(31) || $3))`,
		lockRef, key, value); err != nil {
		return 0, fmt.Errorf("locking reference %s: %w", key, err)
	}
	return pgFindRef(ctx, t.tx, key, value)
}

func pgFindRef(ctx context.Context, q pgQuerier, key, value string) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT i.number FROM incident_ref r JOIN incident i ON i.id = r.incident_id
		WHERE r.key = $1 AND r.value = $2`, key, value).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("looking up reference: %w", err)
	}
	return n, nil
}

// Enqueue adds jobs to the transaction; a job whose unique key is already
// queued, running or recently completed is skipped. They are inserted
// together, with River, when fn returns.
func (t *pgTx) Enqueue(ctx context.Context, jobs []drone.Job) error {
	params, err := insertParams(jobs, t.db.maxAttempts)
	if err != nil {
		return err
	}
	t.jobs = append(t.jobs, params...)
	return nil
}
