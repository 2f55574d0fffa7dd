package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

const qInsertObservable = `INSERT INTO observable
	(incident_id, type, value, raw, tlp, ioc, internal, tags, added_by, origin, first_seen)
	VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (incident_id, type, value) DO NOTHING RETURNING id`

// AddObservables inserts the observables new to their incident and returns
// them with their ids; the unique (incident, type, value) key skips the rest.
func (t *sqliteTx) AddObservables(ctx context.Context, obs []drone.Observable) ([]drone.Observable, error) {
	st, err := t.db.prepared(qInsertObservable)
	if err != nil {
		return nil, err
	}
	stmt := t.tx.StmtContext(ctx, st)
	var added []drone.Observable
	for _, o := range obs {
		tags, err1 := json.Marshal(nonNil(o.Tags))
		by, err2 := json.Marshal(o.AddedBy)
		origin, err3 := json.Marshal(o.Origin)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("encoding observable: %w", err)
		}
		rows, err := stmt.QueryContext(ctx, o.IncidentID, string(o.Type), o.Value, o.Raw, o.TLP, o.IOC, o.Internal,
			string(tags), string(by), string(origin), formatTime(o.FirstSeen))
		if err != nil {
			return nil, fmt.Errorf("inserting observable %s %q: %w", o.Type, o.Value, err)
		}
		if rows.Next() {
			if err := rows.Scan(&o.ID); err != nil {
				rows.Close()
				return nil, fmt.Errorf("inserting observable: %w", err)
			}
			added = append(added, o)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("inserting observable: %w", err)
		}
	}
	return added, nil
}

// Observables returns an incident's observables in the order they were added.
func (db *SQLite) Observables(ctx context.Context, incidentID string) ([]drone.Observable, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, incident_id, type, value, raw, tlp, ioc, internal, tags,
		added_by, origin, first_seen FROM observable WHERE incident_id = ? ORDER BY id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("reading observables: %w", err)
	}
	defer rows.Close()
	var out []drone.Observable
	var dec observableDecoder
	for rows.Next() {
		var o drone.Observable
		var typ, tags, by, origin, seen string
		if err := rows.Scan(&o.ID, &o.IncidentID, &typ, &o.Value, &o.Raw, &o.TLP, &o.IOC, &o.Internal, &tags,
			&by, &origin, &seen); err != nil {
			return nil, fmt.Errorf("reading observable: %w", err)
		}
		o.Type = ioc.Type(typ)
		if err := dec.decode(&o, tags, by, origin); err != nil {
			return nil, fmt.Errorf("decoding observable %d: %w", o.ID, err)
		}
		if o.FirstSeen, err = parseTime(seen); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Sightings returns the incidents an indicator was seen in, newest first. An
// empty typ matches any type.
func (db *SQLite) Sightings(ctx context.Context, typ, value string, limit int) ([]drone.Sighting, error) {
	if limit <= 0 {
		limit = 20
	}
	q := `SELECT o.incident_id, i.number, o.type, o.value, o.first_seen FROM observable o
		JOIN incident i ON i.id = o.incident_id WHERE o.value = ?`
	args := []any{value}
	if typ != "" {
		q += ` AND o.type = ?`
		args = append(args, typ)
	}
	q += ` ORDER BY o.first_seen DESC LIMIT ?`
	rows, err := db.sql.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("looking up %q: %w", value, err)
	}
	return scanSightings(rows)
}

// scanSightings reads rows of (incident id, number, type, value, first
// seen) and closes them.
func scanSightings(rows *sql.Rows) ([]drone.Sighting, error) {
	defer rows.Close()
	var out []drone.Sighting
	for rows.Next() {
		var s drone.Sighting
		var typ, seen string
		if err := rows.Scan(&s.IncidentID, &s.Number, &typ, &s.Value, &seen); err != nil {
			return nil, fmt.Errorf("reading sighting: %w", err)
		}
		s.Type = ioc.Type(typ)
		t, err := parseTime(seen)
		if err != nil {
			return nil, err
		}
		s.FirstSeen = t
		out = append(out, s)
	}
	return out, rows.Err()
}

// observableDecoder decodes the JSON columns of an incident's observable
// rows. Indicators come in batches, from one person and one message, so
// the same added_by and origin texts repeat row after row: each distinct
// text is decoded once per read and copied after. Tags, mostly "[]", skip
// the JSON decoder then. What is stored is unchanged, and so is what is
// read: every observable gets its own copy of the slices it holds.
type observableDecoder struct {
	actors  map[string]drone.Actor
	origins map[string]drone.Origin
}

func (d *observableDecoder) decode(o *drone.Observable, tags, by, origin string) error {
	if tags == "[]" {
		o.Tags = []string{} // as json.Unmarshal leaves it
	} else if err := json.Unmarshal([]byte(tags), &o.Tags); err != nil {
		return err
	}
	if a, ok := d.actors[by]; ok {
		a.Groups = slices.Clone(a.Groups)
		o.AddedBy = a
	} else {
		if err := json.Unmarshal([]byte(by), &o.AddedBy); err != nil {
			return err
		}
		if d.actors == nil {
			d.actors = map[string]drone.Actor{}
		}
		a := o.AddedBy
		a.Groups = slices.Clone(a.Groups)
		d.actors[by] = a
	}
	if g, ok := d.origins[origin]; ok {
		o.Origin = g
		return nil
	}
	if err := json.Unmarshal([]byte(origin), &o.Origin); err != nil {
		return err
	}
	if d.origins == nil {
		d.origins = map[string]drone.Origin{}
	}
	d.origins[origin] = o.Origin
	return nil
}
