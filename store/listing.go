package store

import (
	"strconv"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
)

// listing builds the query of a listing (incidents, follow-up actions) for
// either backend: one list of conditions, written with "?" and numbered
// ($1, $2...) for PostgreSQL, whose times are values where SQLite's are
// text.
type listing struct {
	pg    bool
	where []string
	args  []any
}

// cond adds a condition with one "?" for each of its arguments.
func (l *listing) cond(c string, args ...any) {
	for _, v := range args {
		if ph := l.arg(v); ph != "?" {
			c = strings.Replace(c, "?", ph, 1)
		}
	}
	l.where = append(l.where, c)
}

// arg adds an argument and returns its placeholder.
func (l *listing) arg(v any) string {
	l.args = append(l.args, v)
	if l.pg {
		return "$" + strconv.Itoa(len(l.args))
	}
	return "?"
}

// time is t as the backend compares it.
func (l *listing) time(t time.Time) any {
	if l.pg {
		return t
	}
	return formatTime(t)
}

// query returns the SELECT of columns from table with the conditions, the
// order and the limit, and its arguments.
func (l *listing) query(columns, table, order string, limit int) (string, []any) {
	q := `SELECT ` + columns + ` FROM ` + table
	if len(l.where) > 0 {
		q += " WHERE " + strings.Join(l.where, " AND ")
	}
	q += " ORDER BY " + order + " LIMIT " + l.arg(limit)
	return q, l.args
}

// incidentListing is the query of an incident filter, newest first.
func incidentListing(f drone.IncidentFilter, pg bool) (string, []any) {
	l := listing{pg: pg}
	if f.Open {
		l.cond("status NOT IN ('resolved', 'closed')")
	}
	if len(f.Status) > 0 {
		args := make([]any, len(f.Status))
		for i, s := range f.Status {
			args[i] = string(s)
		}
		l.cond("status IN (?"+strings.Repeat(",?", len(args)-1)+")", args...)
	}
	if !f.Since.IsZero() {
		l.cond("declared_at >= ?", l.time(f.Since))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	return l.query(incidentColumns, "incident", "number DESC", limit)
}

// followUpListing is the query of a follow-up action filter, oldest first.
func followUpListing(f drone.FollowUpFilter, pg bool) (string, []any) {
	l := listing{pg: pg}
	if f.IncidentID != "" {
		l.cond("incident_id = ?", f.IncidentID)
	}
	if f.Open {
		l.cond("status = 'open'")
	}
	if f.Owner != "" {
		l.cond("lower(owner) = lower(?)", f.Owner)
	}
	if !f.DueBefore.IsZero() {
		l.cond("due IS NOT NULL AND due < ?", l.time(f.DueBefore))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	return l.query(followUpColumns, "action", "number", limit)
}
