package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivershared/uniquestates"
	"github.com/riverqueue/river/rivertype"

	"github.com/ttp0/drone/drone"
)

// CopyResult counts what CopyToPostgres copied.
type CopyResult struct {
	Incidents   int            `json:"incidents"`
	Entries     int            `json:"entries"` // timeline entries, every chain verified
	Observables int            `json:"observables"`
	Refs        int            `json:"refs"`
	Claims      int            `json:"claims"`
	Deliveries  int            `json:"deliveries"` // messages notification media sent
	Accounts    int            `json:"accounts"`   // web console accounts (their sessions are not copied)
	FollowUps   int            `json:"actions"`    // follow-up actions
	Reviews     int            `json:"reviews"`    // post-incident review versions
	Jobs        map[string]int `json:"jobs"`       // by state in the copy
}

// CopyToPostgres copies the SQLite database src into dst, which must be
// empty (no incident, reference, claim or job): incidents, their
// observables (with their ids, so in their order), their timelines entry
// for entry, references, claims, and River's jobs with their attempts,
// errors and unique keys. A job that was running when src stopped is due
// again in the copy, its attempt counted, as RescueStuck would make it.
//
// Everything is written in one transaction, and every incident's timeline
// is read back and verified (drone.Verify) before it commits: a copy that
// would break a chain leaves dst empty. Nothing may write src meanwhile
// (drone migrate holds its worker lock; stop drone serve first).
func CopyToPostgres(ctx context.Context, src *SQLite, dst *Postgres) (CopyResult, error) {
	res := CopyResult{Jobs: map[string]int{}}
	err := pgx.BeginFunc(ctx, dst.pool, func(tx pgx.Tx) error {
		if err := ensureEmpty(ctx, tx); err != nil {
			return err
		}
		incs, err := copyIncidents(ctx, src, tx, &res)
		if err != nil {
			return err
		}
		if err := copyDeliveries(ctx, src, tx, &res); err != nil {
			return err
		}
		if err := copyAccounts(ctx, src, tx, &res); err != nil {
			return err
		}
		if err := copyFollowUpsAndReviews(ctx, src, tx, &res); err != nil {
			return err
		}
		if err := copyRefsAndClaims(ctx, src, tx, &res); err != nil {
			return err
		}
		if err := copyJobs(ctx, src, tx, &res); err != nil {
			return err
		}
		for _, inc := range incs {
			entries, err := pgTimeline(ctx, tx, inc.ID)
			if err != nil {
				return err
			}
			if err := drone.Verify(entries); err != nil {
				return fmt.Errorf("%s after the copy: %w", inc.Ref(), err)
			}
		}
		return nil
	})
	if err != nil {
		return CopyResult{}, err
	}
	return res, nil
}

// ensureEmpty refuses a database that holds anything of drone's.
func ensureEmpty(ctx context.Context, tx pgx.Tx) error {
	for _, table := range []string{"incident", "observable", "timeline", "incident_ref", "claim", "notify_delivery", "web_account", "action", "review", "river_job"} {
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+`)`).Scan(&any); err != nil {
			return fmt.Errorf("checking that the target is empty: %w", err)
		}
		if any {
			return drone.Errorf(drone.ECONFLICT, "the target database is not empty (its %s table has rows): "+
				"drone copies into an empty database only", table)
		}
	}
	return nil
}

func copyIncidents(ctx context.Context, src *SQLite, tx pgx.Tx, res *CopyResult) ([]*drone.Incident, error) {
	rows, err := src.sql.QueryContext(ctx, `SELECT `+incidentColumns+` FROM incident ORDER BY number`)
	if err != nil {
		return nil, fmt.Errorf("reading incidents: %w", err)
	}
	var incs []*drone.Incident
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading incidents: %w", err)
		}
		incs = append(incs, inc)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading incidents: %w", err)
	}
	incRows := make([][]any, len(incs))
	for i, inc := range incs {
		incRows[i] = pgIncidentArgs(inc)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"incident"}, columnsOf(incidentColumns), pgx.CopyFromRows(incRows)); err != nil {
		return nil, fmt.Errorf("copying incidents: %w", err)
	}
	res.Incidents = len(incs)
	var obsRows, entryRows [][]any
	for _, inc := range incs {
		obs, err := src.Observables(ctx, inc.ID)
		if err != nil {
			return nil, err
		}
		for _, o := range obs {
			obsRows = append(obsRows, []any{o.ID, o.IncidentID, string(o.Type), o.Value, o.Raw, o.TLP, o.IOC, o.Internal,
				nonNil(o.Tags), o.AddedBy, o.Origin, o.FirstSeen})
		}
		entries, err := src.Timeline(ctx, inc.ID)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			var data *string
			if len(e.Data) > 0 {
				s := string(e.Data)
				data = &s
			}
			entryRows = append(entryRows, []any{e.IncidentID, e.Seq, e.At, e.Actor, e.Origin, e.Kind, e.Text, data, e.PrevHash, e.Hash})
		}
		// Flush now and then, so that a large database is not held in memory.
		if len(obsRows)+len(entryRows) >= 50_000 {
			if err := copyRows(ctx, tx, obsRows, entryRows, res); err != nil {
				return nil, err
			}
			obsRows, entryRows = obsRows[:0], entryRows[:0]
		}
	}
	if err := copyRows(ctx, tx, obsRows, entryRows, res); err != nil {
		return nil, err
	}
	// New observables take ids after the copied ones.
	if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('observable', 'id'),
		GREATEST((SELECT MAX(id) FROM observable), 1), (SELECT MAX(id) IS NOT NULL FROM observable))`); err != nil {
		return nil, fmt.Errorf("advancing observable ids: %w", err)
	}
	return incs, nil
}

func copyRows(ctx context.Context, tx pgx.Tx, obsRows, entryRows [][]any, res *CopyResult) error {
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"observable"}, []string{"id", "incident_id", "type", "value", "raw", "tlp",
		"ioc", "internal", "tags", "added_by", "origin", "first_seen"}, pgx.CopyFromRows(obsRows))
	if err != nil {
		return fmt.Errorf("copying observables: %w", err)
	}
	res.Observables += int(n)
	n, err = tx.CopyFrom(ctx, pgx.Identifier{"timeline"}, []string{"incident_id", "seq", "at", "actor", "origin", "kind",
		"text", "data", "prev_hash", "hash"}, pgx.CopyFromRows(entryRows))
	if err != nil {
		return fmt.Errorf("copying timelines: %w", err)
	}
	res.Entries += int(n)
	return nil
}

func copyRefsAndClaims(ctx context.Context, src *SQLite, tx pgx.Tx, res *CopyResult) error {
	var refs, claims [][]any
	rows, err := src.sql.QueryContext(ctx, `SELECT key, value, incident_id FROM incident_ref ORDER BY rowid`)
	if err != nil {
		return fmt.Errorf("reading references: %w", err)
	}
	for rows.Next() {
		var k, v, id string
		if err := rows.Scan(&k, &v, &id); err != nil {
			rows.Close()
			return fmt.Errorf("reading references: %w", err)
		}
		refs = append(refs, []any{k, v, id})
	}
	if err := rows.Close(); err != nil {
		return err
	}
	rows, err = src.sql.QueryContext(ctx, `SELECT key, at FROM claim`)
	if err != nil {
		return fmt.Errorf("reading claims: %w", err)
	}
	for rows.Next() {
		var k, at string
		if err := rows.Scan(&k, &at); err != nil {
			rows.Close()
			return fmt.Errorf("reading claims: %w", err)
		}
		t, err := parseTime(at)
		if err != nil {
			rows.Close()
			return err
		}
		claims = append(claims, []any{k, t})
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"incident_ref"}, []string{"key", "value", "incident_id"}, pgx.CopyFromRows(refs)); err != nil {
		return fmt.Errorf("copying references: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"claim"}, []string{"key", "at"}, pgx.CopyFromRows(claims)); err != nil {
		return fmt.Errorf("copying claims: %w", err)
	}
	res.Refs, res.Claims = len(refs), len(claims)
	return nil
}

// copyDeliveries copies the record of the messages sent, so that a
// delivery retried after the move finds its message and sends nothing twice.
func copyDeliveries(ctx context.Context, src *SQLite, tx pgx.Tx, res *CopyResult) error {
	rows, err := src.sql.QueryContext(ctx, `SELECT key, incident_id, event, medium, address, message_id, thread, sent_at
		FROM notify_delivery ORDER BY sent_at, rowid`)
	if err != nil {
		return fmt.Errorf("reading deliveries: %w", err)
	}
	list, err := scanDeliveries(rows)
	if err != nil {
		return err
	}
	out := make([][]any, len(list))
	for i, d := range list {
		out[i] = []any{d.Key, d.IncidentID, d.Event, d.Medium, d.Address, d.Ref.ID, d.Ref.Thread, d.At}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"notify_delivery"}, []string{"key", "incident_id", "event", "medium",
		"address", "message_id", "thread", "sent_at"}, pgx.CopyFromRows(out)); err != nil {
		return fmt.Errorf("copying deliveries: %w", err)
	}
	res.Deliveries = len(list)
	return nil
}

// copyFollowUpsAndReviews copies the follow-up actions and every version
// of every review.
func copyFollowUpsAndReviews(ctx context.Context, src *SQLite, tx pgx.Tx, res *CopyResult) error {
	list, err := src.FollowUps(ctx, drone.FollowUpFilter{Limit: 1 << 30})
	if err != nil {
		return err
	}
	acts := make([][]any, len(list))
	for i, f := range list {
		acts[i] = []any{f.ID, f.Number, f.IncidentID, f.Text, f.Owner, f.Due, string(f.Status), f.CreatedBy,
			f.CreatedAt, f.UpdatedAt, f.DoneAt, f.Note, nonNilMap(f.External)}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"action"}, columnsOf(followUpColumns), pgx.CopyFromRows(acts)); err != nil {
		return fmt.Errorf("copying actions: %w", err)
	}
	rows, err := src.sql.QueryContext(ctx, `SELECT incident_id, version, created_at, author, markdown, html FROM review`)
	if err != nil {
		return fmt.Errorf("reading reviews: %w", err)
	}
	var reviews [][]any
	for rows.Next() {
		var r drone.Review
		var at, author string
		if err := rows.Scan(&r.IncidentID, &r.Version, &at, &author, &r.Markdown, &r.HTML); err != nil {
			rows.Close()
			return fmt.Errorf("reading reviews: %w", err)
		}
		if r.CreatedAt, err = parseTime(at); err != nil {
			rows.Close()
			return err
		}
		if err := json.Unmarshal([]byte(author), &r.Author); err != nil {
			rows.Close()
			return fmt.Errorf("decoding review author: %w", err)
		}
		reviews = append(reviews, []any{r.IncidentID, r.Version, r.CreatedAt, r.Author, r.Markdown, r.HTML})
	}
	if err := errors.Join(rows.Close(), rows.Err()); err != nil {
		return fmt.Errorf("reading reviews: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"review"}, []string{"incident_id", "version", "created_at", "author",
		"markdown", "html"}, pgx.CopyFromRows(reviews)); err != nil {
		return fmt.Errorf("copying reviews: %w", err)
	}
	res.FollowUps, res.Reviews = len(acts), len(reviews)
	return nil
}

// copyAccounts copies the web console's accounts; their users sign in
// again, since sessions are not copied.
func copyAccounts(ctx context.Context, src *SQLite, tx pgx.Tx, res *CopyResult) error {
	list, err := src.ListAccounts(ctx)
	if err != nil {
		return err
	}
	out := make([][]any, len(list))
	for i, a := range list {
		roles, err := json.Marshal(nonNil(a.Roles))
		if err != nil {
			return fmt.Errorf("encoding the roles of %s: %w", a.Name, err)
		}
		out[i] = []any{a.Name, a.DisplayName, a.PasswordHash, string(roles), a.Clearance, a.Disabled, a.CreatedAt, a.UpdatedAt}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"web_account"}, strings.Split(strings.ReplaceAll(accountColumns, " ", ""), ","),
		pgx.CopyFromRows(out)); err != nil {
		return fmt.Errorf("copying accounts: %w", err)
	}
	res.Accounts = len(list)
	return nil
}

// copyJobs copies every job River keeps, in the order of their ids: those
// to come, the dead (so that drone queue retry still revives them), and the
// recently completed (whose unique keys still keep a replayed operation
// from enqueueing them again, until River's cleaner removes them). The ids
// are River's to give: the copy numbers them anew.
func copyJobs(ctx context.Context, src *SQLite, tx pgx.Tx, res *CopyResult) error {
	now := time.Now().UTC()
	p := river.NewJobListParams().First(1000).OrderBy(river.JobListOrderByID, river.SortOrderAsc)
	for {
		page, err := src.river.JobList(ctx, p)
		if err != nil {
			return fmt.Errorf("listing jobs: %w", err)
		}
		if len(page.Jobs) == 0 {
			return nil
		}
		var batch pgx.Batch
		for _, j := range page.Jobs {
			args, err := jobColumns(j, now)
			if err != nil {
				return err
			}
			batch.Queue(qCopyJob, args...)
			res.Jobs[args[13].(string)]++
		}
		if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
			return fmt.Errorf("copying jobs: %w", err)
		}
		p = p.After(river.JobListCursorFromJob(page.Jobs[len(page.Jobs)-1]))
	}
}

// qCopyJob writes a job row as River's PostgreSQL driver does: the unique
// key as bytes, the unique states as a bit(8) mask.
const qCopyJob = `INSERT INTO river_job (args, attempt, attempted_at, attempted_by, created_at, errors,
	finalized_at, kind, max_attempts, metadata, priority, queue, scheduled_at, state, tags, unique_key, unique_states)
	VALUES ($1::jsonb, $2, $3, $4, $5, $6::text[]::jsonb[], $7, $8, $9, $10::jsonb, $11, $12, $13,
	$14::river_job_state, $15, $16, nullif($17::integer, 0)::bit(8))`

func jobColumns(j *rivertype.JobRow, now time.Time) ([]any, error) {
	errs := make([]string, len(j.Errors))
	for i, e := range j.Errors {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encoding the errors of job %d: %w", j.ID, err)
		}
		errs[i] = string(b)
	}
	state, scheduled := j.State, j.ScheduledAt
	if state == rivertype.JobStateRunning {
		state, scheduled = rivertype.JobStateAvailable, now
	}
	metadata := string(j.Metadata)
	if metadata == "" {
		metadata = "{}"
	}
	var errCol, uniqueKey any
	if len(errs) > 0 {
		errCol = errs
	}
	if len(j.UniqueKey) > 0 {
		uniqueKey = j.UniqueKey
	}
	return []any{string(j.EncodedArgs), j.Attempt, j.AttemptedAt, nonNil(j.AttemptedBy), j.CreatedAt, errCol,
		j.FinalizedAt, j.Kind, j.MaxAttempts, metadata, j.Priority, j.Queue, scheduled, string(state), nonNil(j.Tags),
		uniqueKey, int(uniquestates.UniqueStatesToBitmask(j.UniqueStates))}, nil
}

// columnsOf splits a column list such as incidentColumns.
func columnsOf(list string) []string {
	return strings.Split(strings.Join(strings.Fields(list), ""), ",")
}
