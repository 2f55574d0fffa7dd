// Package storetest is the contract of drone's stores: one suite, written
// once and run against every backend (as River runs one driver suite against
// every driver), so that SQLite and PostgreSQL behave the same wherever
// drone relies on them. Where the real code reaches the store through
// drone.Service, so do the tests.
//
//	func TestSQLite(t *testing.T) { storetest.Run(t, openSQLite) }
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/store"
)

// Opener opens a new, empty store for t; the store is closed when t ends.
type Opener func(t *testing.T) *store.DB

// Run runs the contract against the stores open returns, each test on a
// store of its own, in parallel.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, *store.DB)
	}{
		{"SchemaIsCurrent", testSchemaIsCurrent},
		{"IncidentRoundTrip", testIncidentRoundTrip},
		{"NotFound", testNotFound},
		{"ConcurrentDeclarationsNumberWithoutGaps", testConcurrentDeclarations},
		{"DeclareKeyIsIdempotent", testDeclareKeyIsIdempotent},
		{"TimelineIsAHashChain", testTimelineIsAHashChain},
		{"ConcurrentChangesOfOneIncidentKeepTheChain", testConcurrentChangesOfOneIncident},
		{"ObservablesAndSightings", testObservablesAndSightings},
		{"References", testReferences},
		{"RecordOnce", testRecordOnce},
		{"ClaimOnce", testClaimOnce},
		{"FailingUpdateRollsBackAlone", testFailingUpdateRollsBackAlone},
		{"UniqueJobsAreInsertedOnce", testUniqueJobsAreInsertedOnce},
		{"IncidentFilters", testIncidentFilters},
		{"TwoQueuesNeverRunTheSameJob", testTwoQueuesNeverRunTheSameJob},
		{"FailingJobIsRetriedThenDead", testFailingJobIsRetriedThenDead},
		{"JobsAndCounts", testJobsAndCounts},
		{"DeliveriesAreRecordedOnceAndFollowed", testDeliveries},
		{"AccountsAndSessions", testAccountsAndSessions},
		{"ChangesAndSightingsOf", testChangesAndSightingsOf},
		{"LockHoldsUntilUnlocked", testLockHoldsUntilUnlocked},
		{"FollowUpsOutliveTheirIncident", testFollowUps},
		{"ConcurrentFollowUpsNumberWithoutGaps", testConcurrentFollowUps},
		{"ReviewsKeepEveryVersion", testReviews},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

var (
	operator = drone.Actor{Platform: "local", ID: "alice"}
	here     = drone.Origin{Channel: "test"}
	phishing = drone.DeclareInput{Category: "CAT1", SubContext: "phishing", Severity: "high", Overview: "wave"}
)

// service is a drone.Service over db whose planner enqueues one job per
// timeline entry, as integrations do.
func service(db *store.DB) *drone.Service {
	return &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles(),
		Targets: drone.DefaultTargets(),
		Planners: []drone.Planner{drone.PlannerFunc(func(e drone.Event) []drone.Job {
			return []drone.Job{{Kind: "test.sync", Args: map[string]any{"incident": e.Incident.ID, "seq": e.Entry.Seq},
				UniqueKey: fmt.Sprintf("%s:%d", e.Incident.ID, e.Entry.Seq)}}
		})}}
}

func declare(t *testing.T, svc *drone.Service, in drone.DeclareInput) *drone.Incident {
	t.Helper()
	inc, _, err := svc.Declare(context.Background(), operator, here, in)
	if err != nil {
		t.Fatalf("declare: %v", err)
	}
	return inc
}

// verify checks an incident's timeline as drone incident verify does.
func verify(t *testing.T, svc *drone.Service, number int64) *drone.Record {
	t.Helper()
	rec, err := svc.Get(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	if err := drone.Verify(rec.Timeline); err != nil {
		t.Errorf("INC-%d: %v", number, err)
	}
	return rec
}

func testSchemaIsCurrent(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if v, err := db.SchemaVersion(ctx); err != nil || v != store.LatestSchema() {
		t.Errorf("schema version %d (%v), want %d", v, err, store.LatestSchema())
	}
	if err := db.Ready(ctx); err != nil {
		t.Error(err)
	}
}

// usec is a time at microsecond precision, which every store keeps.
func usec(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func testIncidentRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := usec(time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC))
	ack, due := at.Add(time.Minute), at.Add(time.Hour)
	inc := &drone.Incident{ID: uuid.NewString(), Title: "[ CAT1 HIGH ] t", Category: "CAT1", CategoryName: "Intrusion",
		SubContext: "Phishing", Severity: 3, SeverityName: "HIGH", Tier: "T2", Zone: "ZONE-A", BusinessUnit: "SALES",
		TLP: "AMBER", PAP: "GREEN", Overview: "wave \"quoted\" ünïcode", Reporter: drone.Actor{Platform: "slack", ID: "U1", Name: "bob"},
		Lead: "slack:U1", Roles: map[string]string{"scribe": "slack:U2"}, Private: true, Status: drone.StatusAcknowledged, Tags: []string{"a", "b"},
		External: map[string]string{"slack.channel": "C1"}, DeclaredAt: at, AcknowledgedAt: &ack, UpdatedAt: ack, NextUpdateDue: &due}
	err := db.Update(ctx, func(tx drone.Tx) error {
		n, err := tx.NextNumber(ctx)
		if err != nil {
			return err
		}
		inc.Number = n
		return tx.CreateIncident(ctx, inc)
	})
	if err != nil {
		t.Fatal(err)
	}
	if inc.Number != 1 {
		t.Errorf("first number %d, want 1", inc.Number)
	}
	got, err := db.Incident(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, inc) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, inc)
	}
	// A change saves every field; nil times and empty lists stay so.
	inc.Status, inc.Summary, inc.AcknowledgedAt, inc.NextUpdateDue, inc.Tags = drone.StatusOpen, "s", nil, nil, []string{}
	inc.Roles, inc.Private = nil, false
	inc.External = map[string]string{"slack.channel": "C1", "hive.case_id": "~1"}
	err = db.Update(ctx, func(tx drone.Tx) error {
		if _, err := tx.Incident(ctx, 1); err != nil {
			return err
		}
		return tx.SaveIncident(ctx, inc)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err = db.IncidentByID(ctx, inc.ID); err != nil || !reflect.DeepEqual(got, inc) {
		t.Errorf("after save (%v)\n%+v\nwant\n%+v", err, got, inc)
	}
	for _, ref := range [][2]string{{"slack.channel", "C1"}, {"hive.case_id", "~1"}} {
		if got, err := db.IncidentByRef(ctx, ref[0], ref[1]); err != nil || got.ID != inc.ID {
			t.Errorf("external %s is not a reference: %v", ref[0], err)
		}
	}
}

func testNotFound(t *testing.T, db *store.DB) {
	ctx := context.Background()
	check := func(what string, err error) {
		t.Helper()
		if drone.ErrorCode(err) != drone.ENOTFOUND {
			t.Errorf("%s: %v, want ENOTFOUND", what, err)
		}
	}
	_, err := db.Incident(ctx, 7)
	check("Incident", err)
	_, err = db.IncidentByID(ctx, "nope")
	check("IncidentByID", err)
	_, err = db.IncidentByRef(ctx, "slack.channel", "C404")
	check("IncidentByRef", err)
	check("Tx.Incident", db.Update(ctx, func(tx drone.Tx) error { _, err := tx.Incident(ctx, 7); return err }))
	err = db.Update(ctx, func(tx drone.Tx) error {
		seq, hash, err := tx.LastEntry(ctx, "nope")
		if err == nil && (seq != 0 || hash != "") {
			err = fmt.Errorf("last entry of nothing: %d %q", seq, hash)
		}
		if n, ferr := tx.FindRef(ctx, "k", "v"); ferr != nil || n != 0 {
			err = errors.Join(err, fmt.Errorf("FindRef of nothing: %d %v", n, ferr))
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

func testConcurrentDeclarations(t *testing.T, db *store.DB) {
	svc := service(db)
	const n = 40
	var wg sync.WaitGroup
	numbers := make([]int64, n)
	for i := range n {
		wg.Go(func() {
			in := phishing
			in.Observables.Text = fmt.Sprintf("evil%d.example.com 203.0.113.%d", i, i)
			inc, res, err := svc.Declare(context.Background(), operator, here, in)
			if err != nil {
				t.Errorf("declaration %d: %v", i, err)
				return
			}
			numbers[i] = inc.Number
			if len(res.Added) != 2 {
				t.Errorf("declaration %d added %d observables, want 2", i, len(res.Added))
			}
		})
	}
	wg.Wait()
	slices.Sort(numbers)
	for i, got := range numbers {
		if got != int64(i+1) {
			t.Fatalf("numbers %v: want 1..%d, each once", numbers, n)
		}
	}
	for i := range int64(n) {
		verify(t, svc, i+1)
	}
}

func testDeclareKeyIsIdempotent(t *testing.T, db *store.DB) {
	svc := service(db)
	in := phishing
	in.Key, in.Observables.Text = "slack:view:V1", "evil.example.com"
	var wg sync.WaitGroup
	got := make([]int64, 8)
	for i := range got {
		wg.Go(func() {
			inc, _, err := svc.Declare(context.Background(), operator, here, in)
			if err != nil {
				t.Errorf("declaration %d: %v", i, err)
				return
			}
			got[i] = inc.Number
		})
	}
	wg.Wait()
	for i, n := range got {
		if n != 1 {
			t.Errorf("declaration %d made INC-%d: one key must make one incident", i, n)
		}
	}
	incs, err := db.Incidents(context.Background(), drone.IncidentFilter{})
	if err != nil || len(incs) != 1 {
		t.Errorf("%d incidents stored (%v), want 1", len(incs), err)
	}
	other := in
	other.Key = "slack:view:V2"
	if inc := declare(t, svc, other); inc.Number != 2 {
		t.Errorf("another key made INC-%d, want INC-2", inc.Number)
	}
}

func testTimelineIsAHashChain(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := service(db)
	inc := declare(t, svc, phishing)
	if _, err := svc.Acknowledge(ctx, operator, here, inc.Number); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddObservables(ctx, operator, here, inc.Number, drone.ObservableInput{Text: "198.51.100.7"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PostUpdate(ctx, operator, here, inc.Number, drone.UpdateInput{Status: drone.StatusContained,
		Summary: "blocked {\"json\": [1, 2]} ünïcode"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Close(ctx, operator, here, inc.Number, drone.CloseInput{Resolution: "TruePositive",
		Impact: "NoImpact", Summary: "done"}); err != nil {
		t.Fatal(err)
	}
	rec := verify(t, svc, inc.Number)
	if len(rec.Timeline) < 5 {
		t.Fatalf("%d entries, want at least 5", len(rec.Timeline))
	}
	last := rec.Timeline[len(rec.Timeline)-1]
	err := db.Update(ctx, func(tx drone.Tx) error {
		seq, hash, err := tx.LastEntry(ctx, inc.ID)
		if err == nil && (seq != last.Seq || hash != last.Hash) {
			err = fmt.Errorf("last entry %d %s, want %d %s", seq, hash, last.Seq, last.Hash)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
	for i, e := range rec.Timeline {
		if e.At.Location() != time.UTC || len(e.Data) == 0 {
			t.Errorf("entry %d: at %v, data %q", i+1, e.At, e.Data)
		}
	}
	// An entry rewritten behind drone's back breaks the chain (the same
	// SQL on every backend).
	if _, err := db.SQL().ExecContext(ctx, `UPDATE timeline SET text = 'nothing happened' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	rec, err = svc.Get(ctx, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	if err := drone.Verify(rec.Timeline); err == nil || !strings.Contains(err.Error(), "entry 2") {
		t.Errorf("a rewritten entry went unnoticed: %v", err)
	}
	// A second entry with a taken sequence number is refused.
	dup := last
	err = db.Update(ctx, func(tx drone.Tx) error { return tx.AppendEntry(ctx, &dup) })
	if err == nil {
		t.Error("a second entry with a taken sequence number was stored")
	}
}

func testConcurrentChangesOfOneIncident(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := service(db)
	inc := declare(t, svc, phishing)
	const n = 30
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = svc.PostUpdate(ctx, operator, here, inc.Number, drone.UpdateInput{Summary: fmt.Sprintf("update %d", i)})
			} else {
				_, err = svc.AddObservables(ctx, operator, here, inc.Number, drone.ObservableInput{Text: fmt.Sprintf("10.1.0.%d", i)})
			}
			if err != nil {
				t.Errorf("change %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	rec := verify(t, svc, inc.Number)
	if len(rec.Timeline) != n+1 {
		t.Errorf("%d entries, want %d: every change is one entry", len(rec.Timeline), n+1)
	}
	if len(rec.Observables) != n/2 {
		t.Errorf("%d observables, want %d", len(rec.Observables), n/2)
	}
	jobs, err := db.Jobs(ctx, 1000)
	if err != nil || len(jobs) != n+1 {
		t.Errorf("%d jobs (%v), want one per entry: %d", len(jobs), err, n+1)
	}
}

func testObservablesAndSightings(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := service(db)
	in := phishing
	in.Observables = drone.ObservableInput{Text: "evil.example.com 203.0.113.9 hxxp://evil[.]example[.]com/x", Tags: []string{"t1"}, IOC: true}
	first := declare(t, svc, in)
	res, err := svc.AddObservables(ctx, operator, here, first.Number, drone.ObservableInput{Text: "evil.example.com 198.51.100.1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 1 || len(res.Known) != 1 || res.Added[0].Value != "198.51.100.1" {
		t.Errorf("re-adding: added %+v, known %+v", res.Added, res.Known)
	}
	obs, err := db.Observables(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for i, o := range obs {
		values = append(values, o.Value)
		if o.ID == 0 || o.IncidentID != first.ID || !reflect.DeepEqual(o.AddedBy, operator) || o.Origin != here || o.FirstSeen.IsZero() ||
			o.FirstSeen.Location() != time.UTC {
			t.Errorf("observable %d: %+v", i, o)
		}
		if i < 3 && (!o.IOC || !slices.Equal(o.Tags, []string{"t1"})) {
			t.Errorf("observable %d lost its flags: %+v", i, o)
		}
		if i > 0 && o.ID <= obs[i-1].ID {
			t.Errorf("observables out of order: %v", obs)
		}
	}
	if len(obs) != 4 || values[3] != "198.51.100.1" {
		t.Errorf("observables %v, want the 3 of the declaration then 198.51.100.1", values)
	}
	// A second incident sees the domain again, later.
	svc.Now = func() time.Time { return time.Now().Add(time.Hour) }
	in.Observables = drone.ObservableInput{Text: "evil.example.com"}
	second := declare(t, svc, in)
	seen, err := db.Sightings(ctx, "", "evil.example.com", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0].Number != second.Number || seen[1].Number != first.Number ||
		seen[0].IncidentID != second.ID || seen[0].Type != ioc.Domain || !seen[0].FirstSeen.After(seen[1].FirstSeen) {
		t.Errorf("sightings, newest first: %+v", seen)
	}
	if s, err := db.Sightings(ctx, string(ioc.Domain), "evil.example.com", 1); err != nil || len(s) != 1 || s[0].Number != second.Number {
		t.Errorf("limited to 1: %+v %v", s, err)
	}
	if s, err := db.Sightings(ctx, string(ioc.IPv4), "evil.example.com", 10); err != nil || len(s) != 0 {
		t.Errorf("another type matched: %+v %v", s, err)
	}
	if s, err := db.Sightings(ctx, "", "never.example.org", 10); err != nil || len(s) != 0 {
		t.Errorf("unknown value: %+v %v", s, err)
	}
}

func testReferences(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := service(db)
	a, b := declare(t, svc, phishing), declare(t, svc, phishing)
	err := db.Update(ctx, func(tx drone.Tx) error {
		return errors.Join(tx.PutRef(ctx, a.ID, "slack.channel", "C1"), tx.PutRef(ctx, b.ID, "slack.channel", "C1"),
			tx.PutRef(ctx, b.ID, "discord.channel", "C1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx drone.Tx) error {
		n1, err1 := tx.FindRef(ctx, "slack.channel", "C1")
		n2, err2 := tx.FindRef(ctx, "discord.channel", "C1")
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		if n1 != a.Number || n2 != b.Number {
			return fmt.Errorf("FindRef: %d %d, want %d (first taker keeps) %d", n1, n2, a.Number, b.Number)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	if got, err := db.IncidentByRef(ctx, "slack.channel", "C1"); err != nil || got.ID != a.ID {
		t.Errorf("IncidentByRef: %v %v", got, err)
	}
	// SetExternal, as integrations record a case or a channel.
	if err := svc.SetExternal(ctx, drone.Actor{Platform: "hive", ID: "sync"}, b.ID, map[string]string{"hive.case_id": "~42"}, "case created"); err != nil {
		t.Fatal(err)
	}
	if got, err := svc.IncidentByRef(ctx, "hive.case_id", "~42"); err != nil || got.Number != b.Number || got.External["hive.case_id"] != "~42" {
		t.Errorf("after SetExternal: %+v %v", got, err)
	}
	verify(t, svc, b.Number)
}

func testRecordOnce(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := service(db)
	inc := declare(t, svc, phishing)
	var wg sync.WaitGroup
	var mu sync.Mutex
	recorded := 0
	for range 6 {
		wg.Go(func() {
			ok, err := svc.RecordOnce(ctx, drone.Actor{Platform: "notify", ID: "clock"}, inc.ID, drone.EntryUpdate, "reminder-1", "reminded", nil)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				recorded++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if recorded != 1 {
		t.Errorf("recorded %d times, want once", recorded)
	}
	if rec := verify(t, svc, inc.Number); len(rec.Timeline) != 2 {
		t.Errorf("%d entries, want 2", len(rec.Timeline))
	}
}

func testClaimOnce(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for range 10 {
		wg.Go(func() {
			first, err := db.Claim(ctx, "slack:event:Ev1")
			if err != nil {
				t.Error(err)
			}
			if first {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firsts != 1 {
		t.Errorf("%d first claims of one key, want 1", firsts)
	}
	if first, err := db.Claim(ctx, "slack:event:Ev2"); err != nil || !first {
		t.Errorf("another key: %v %v", first, err)
	}
}

// testFailingUpdateRollsBackAlone runs concurrent updates, every third of
// which fails after writing: its writes (an incident, a reference, a job)
// roll back, and nobody else's.
func testFailingUpdateRollsBackAlone(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := service(db)
	base := declare(t, svc, phishing)
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Go(func() {
			errs[i] = db.Update(ctx, func(tx drone.Tx) error {
				if err := tx.Enqueue(ctx, []drone.Job{{Kind: "test.job", Args: map[string]int{"n": i}}}); err != nil {
					return err
				}
				if err := tx.PutRef(ctx, base.ID, "test.ref", fmt.Sprint(i)); err != nil {
					return err
				}
				if i%3 == 0 {
					return errors.New("refused")
				}
				return nil
			})
		})
	}
	wg.Wait()
	want := 0
	for i, err := range errs {
		if (i%3 == 0) != (err != nil) {
			t.Errorf("update %d: %v", i, err)
		}
		if err == nil {
			want++
		}
		n, err := db.IncidentByRef(ctx, "test.ref", fmt.Sprint(i))
		if kept := err == nil && n.ID == base.ID; kept == (i%3 == 0) {
			t.Errorf("update %d: its reference kept %v (%v)", i, kept, err)
		}
	}
	jobs, err := db.Jobs(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, j := range jobs {
		if j.Kind == "test.job" {
			got++
		}
	}
	if got != want {
		t.Errorf("%d jobs stored, want %d: a failed update's writes must roll back alone", got, want)
	}
}

func testUniqueJobsAreInsertedOnce(t *testing.T, db *store.DB) {
	ctx := context.Background()
	j := drone.Job{Kind: "test.job", Args: testArgs{N: 7}, UniqueKey: "incident-1:seq-3"}
	other := j
	other.UniqueKey = "incident-1:seq-4"
	var wg sync.WaitGroup
	for _, job := range []drone.Job{j, j, other, j, other} {
		wg.Go(func() {
			if err := db.Update(ctx, func(tx drone.Tx) error { return tx.Enqueue(ctx, []drone.Job{job}) }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	jobs, err := db.Jobs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 {
		t.Errorf("%d jobs, want 2: a repeated unique key must be skipped", len(jobs))
	}
}

func testIncidentFilters(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := service(db)
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 6 {
		svc.Now = func() time.Time { return start.Add(time.Duration(i) * time.Hour) }
		declare(t, svc, phishing)
	}
	if _, err := svc.Acknowledge(ctx, operator, here, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Close(ctx, operator, here, 3, drone.CloseInput{Resolution: "FalsePositive", Impact: "NoImpact", Summary: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PostUpdate(ctx, operator, here, 4, drone.UpdateInput{Status: drone.StatusResolved, Summary: "x"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    drone.IncidentFilter
		want []int64
	}{
		{"all", drone.IncidentFilter{}, []int64{6, 5, 4, 3, 2, 1}},
		{"open", drone.IncidentFilter{Open: true}, []int64{6, 5, 2, 1}},
		{"status", drone.IncidentFilter{Status: []drone.Status{drone.StatusAcknowledged, drone.StatusClosed}}, []int64{3, 2}},
		{"since", drone.IncidentFilter{Since: start.Add(4 * time.Hour)}, []int64{6, 5}},
		{"limit", drone.IncidentFilter{Limit: 2}, []int64{6, 5}},
		{"all together", drone.IncidentFilter{Open: true, Since: start.Add(time.Hour), Limit: 2}, []int64{6, 5}},
		{"nothing", drone.IncidentFilter{Status: []drone.Status{drone.StatusContained}}, nil},
	} {
		incs, err := db.Incidents(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, inc := range incs {
			got = append(got, inc.Number)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// testArgs are the arguments of the test jobs.
type testArgs struct {
	N int `json:"n"`
}

func (testArgs) Kind() string { return "test.job" }

// recorder is a worker that counts how often each job ran and fails when told.
type recorder struct {
	river.WorkerDefaults[testArgs]
	mu   sync.Mutex
	runs map[int64]int
	fail bool
	done chan int64
}

func (r *recorder) Work(ctx context.Context, j *river.Job[testArgs]) error {
	r.mu.Lock()
	r.runs[j.ID]++
	r.mu.Unlock()
	if r.fail {
		return errors.New("the other system is down")
	}
	r.done <- j.ID
	return nil
}

func newRecorder(fail bool) *recorder {
	return &recorder{runs: map[int64]int{}, fail: fail, done: make(chan int64, 1000)}
}

func enqueue(t *testing.T, db *store.DB, jobs ...drone.Job) {
	t.Helper()
	err := db.Update(context.Background(), func(tx drone.Tx) error { return tx.Enqueue(context.Background(), jobs) })
	if err != nil {
		t.Fatal(err)
	}
}

func startQueue(t *testing.T, db *store.DB, w *recorder, cfg store.QueueConfig) *store.Queue {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	q, err := db.NewQueue(workers, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return q
}

func testTwoQueuesNeverRunTheSameJob(t *testing.T, db *store.DB) {
	const n = 200
	jobs := make([]drone.Job, n)
	for i := range jobs {
		jobs[i] = drone.Job{Kind: "test.job", Args: testArgs{N: i}}
	}
	enqueue(t, db, jobs...)
	w := newRecorder(false)
	cfg := store.QueueConfig{Workers: 20, PollInterval: 20 * time.Millisecond}
	startQueue(t, db, w, cfg)
	startQueue(t, db, w, cfg)
	timeout := time.After(30 * time.Second)
	for seen := 0; seen < n; seen++ {
		select {
		case <-w.done:
		case <-timeout:
			t.Fatalf("only %d of %d jobs ran", seen, n)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, runs := range w.runs {
		if runs != 1 {
			t.Errorf("job %d ran %d times", id, runs)
		}
	}
	if len(w.runs) != n {
		t.Errorf("%d distinct jobs ran, want %d", len(w.runs), n)
	}
}

func testFailingJobIsRetriedThenDead(t *testing.T, db *store.DB) {
	enqueue(t, db, drone.Job{Kind: "test.job", Args: testArgs{N: 1}, MaxAttempts: 2})
	w := newRecorder(true)
	startQueue(t, db, w, store.QueueConfig{BackoffBase: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
		PollInterval: 20 * time.Millisecond})
	deadline := time.Now().Add(30 * time.Second)
	for {
		dead, err := db.Jobs(context.Background(), 10, store.Dead...)
		if err != nil {
			t.Fatal(err)
		}
		if len(dead) == 1 {
			j := dead[0]
			if j.Attempt != 2 || j.LastError != "the other system is down" {
				t.Errorf("dead job: attempt %d, last error %q", j.Attempt, j.LastError)
			}
			retried, err := db.RetryJob(context.Background(), j.ID)
			if err != nil || retried.State != "available" {
				t.Errorf("retry: %+v %v", retried, err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the failing job never went dead")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testJobsAndCounts(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := service(db)
	declare(t, svc, phishing)
	enqueue(t, db, drone.Job{Kind: "test.later", Args: testArgs{N: 2}, RunAt: time.Now().Add(time.Hour)})
	if n, err := db.Due(ctx); err != nil || n != 1 {
		t.Errorf("due: %d %v, want 1 (the declaration's job; the other is for later)", n, err)
	}
	c, err := db.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Incidents["open"] != 1 || c.Jobs["available"] != 1 || c.Jobs["scheduled"] != 1 {
		t.Errorf("counts %+v", c)
	}
	pending, err := db.Jobs(ctx, 10, store.Pending...)
	if err != nil || len(pending) != 2 || pending[0].Kind != "test.sync" || pending[1].Kind != "test.later" {
		t.Errorf("pending jobs: %+v %v", pending, err)
	}
	if _, err := db.RetryJob(ctx, 999999); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Errorf("retrying no job: %v", err)
	}
	if n, err := db.RescueStuck(ctx, time.Minute); err != nil || n != 0 {
		t.Errorf("rescued %d (%v) with nothing running", n, err)
	}
}

func testDeliveries(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := service(db)
	at := usec(time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC))
	record := func(d drone.Delivery) {
		t.Helper()
		if err := svc.RecordDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	record(drone.Delivery{Key: "k1", IncidentID: "1", Event: "declared", Medium: "email", Address: "a@x",
		Ref: drone.MessageRef{ID: "m1", Thread: "m1"}, At: at})
	record(drone.Delivery{Key: "k1", IncidentID: "1", Event: "declared", Medium: "email", Address: "a@x",
		Ref: drone.MessageRef{ID: "other"}, At: at.Add(time.Minute)}) // a replay keeps the first record
	record(drone.Delivery{Key: "k2", IncidentID: "1", Event: "update", Medium: "email", Address: "a@x",
		Ref: drone.MessageRef{ID: "m2", Thread: "m1"}, At: at.Add(time.Hour)})
	record(drone.Delivery{Key: "k3", IncidentID: "1", Event: "update", Medium: "slack", Address: "C1",
		Ref: drone.MessageRef{ID: "1.2"}, At: at.Add(2 * time.Hour)})
	got, ok, err := svc.Delivery(ctx, "k1")
	if err != nil || !ok || got.Ref.ID != "m1" || !got.At.Equal(at) {
		t.Fatalf("Delivery(k1) = %+v %v %v", got, ok, err)
	}
	if _, ok, err := svc.Delivery(ctx, "nope"); ok || err != nil {
		t.Errorf("an unknown key: %v %v", ok, err)
	}
	last, err := svc.LastDelivery(ctx, "1", "email", "a@x")
	if err != nil || last.ID != "m2" || last.Thread != "m1" {
		t.Errorf("LastDelivery = %+v, %v", last, err)
	}
	if none, err := svc.LastDelivery(ctx, "1", "email", "b@x"); err != nil || none != (drone.MessageRef{}) {
		t.Errorf("LastDelivery to an address never written to = %+v, %v", none, err)
	}
	list, err := svc.Deliveries(ctx, "1")
	if err != nil || len(list) != 3 || list[0].Key != "k1" || list[1].Key != "k2" || list[2].Key != "k3" {
		t.Errorf("Deliveries = %+v, %v", list, err)
	}
	counts, err := svc.DeliveryCounts(ctx)
	if err != nil || counts["email"] != 2 || counts["slack"] != 1 {
		t.Errorf("DeliveryCounts = %v, %v", counts, err)
	}
}

func testAccountsAndSessions(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	a := drone.Account{Name: "alice", DisplayName: "Alice Martin", PasswordHash: "$argon2id$x", Roles: []string{"responders", "admin"},
		Clearance: "RED", CreatedAt: now, UpdatedAt: now}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAccount(ctx, a); drone.ErrorCode(err) != drone.ECONFLICT {
		t.Fatalf("second create: %v, want a conflict", err)
	}
	got, err := db.Account(ctx, "alice")
	if err != nil || got.DisplayName != "Alice Martin" || len(got.Roles) != 2 || got.Clearance != "RED" || !got.CreatedAt.Equal(now) {
		t.Fatalf("account = %+v, %v", got, err)
	}
	if _, err := db.Account(ctx, "bob"); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Fatalf("missing account: %v", err)
	}
	got.Clearance, got.Disabled = "AMBER", true
	if err := db.SaveAccount(ctx, *got); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveAccount(ctx, drone.Account{Name: "bob"}); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Fatalf("saving a missing account: %v", err)
	}
	list, err := db.ListAccounts(ctx)
	if err != nil || len(list) != 1 || list[0].Clearance != "AMBER" || !list[0].Disabled {
		t.Fatalf("list = %+v, %v", list, err)
	}

	for _, id := range []string{"s1", "s2"} {
		if err := db.CreateSession(ctx, drone.Session{IDHash: id, Account: "alice", CSRF: "c-" + id, CreatedAt: now, SeenAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.TouchSession(ctx, "s1", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s, err := db.Session(ctx, "s1")
	if err != nil || s.CSRF != "c-s1" || !s.SeenAt.Equal(now.Add(time.Hour)) || !s.CreatedAt.Equal(now) {
		t.Fatalf("session = %+v, %v", s, err)
	}
	if n, err := db.DeleteSessions(ctx, drone.SessionFilter{}); err != nil || n != 0 {
		t.Fatalf("an empty filter deleted %d (%v)", n, err)
	}
	if n, err := db.DeleteSessions(ctx, drone.SessionFilter{SeenBefore: now.Add(time.Minute)}); err != nil || n != 1 {
		t.Fatalf("deleting idle sessions: %d, %v", n, err)
	}
	if _, err := db.Session(ctx, "s2"); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Fatalf("idle session still there: %v", err)
	}
	if n, err := db.DeleteSessions(ctx, drone.SessionFilter{Account: "alice"}); err != nil || n != 1 {
		t.Fatalf("deleting alice's sessions: %d, %v", n, err)
	}
}

func testChangesAndSightingsOf(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles()}
	op := drone.Actor{Platform: "local", ID: "op"}
	mark, ids, err := db.Changes(ctx, -1)
	if err != nil || ids != nil { // the mark itself is the backend's
		t.Fatalf("empty store: mark %d, ids %v, %v", mark, ids, err)
	}
	one, _, err := svc.Declare(ctx, op, drone.Origin{}, drone.DeclareInput{Category: "CAT1", Severity: "high", Overview: "x",
		Observables: drone.ObservableInput{Text: "203.0.113.7 evil-cdn.net"}})
	if err != nil {
		t.Fatal(err)
	}
	two, _, err := svc.Declare(ctx, op, drone.Origin{}, drone.DeclareInput{Category: "CAT3", Severity: "low", Overview: "y",
		Observables: drone.ObservableInput{Text: "203.0.113.7 other.example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	next, ids, err := changesAfter(ctx, db, mark, 2)
	if err != nil || len(ids) != 2 || ids[0] != one.ID || ids[1] != two.ID || next <= mark {
		t.Fatalf("changes after %d: %d %v %v", mark, next, ids, err)
	}
	if _, err := svc.Acknowledge(ctx, op, drone.Origin{}, one.Number); err != nil {
		t.Fatal(err)
	}
	last, ids, err := changesAfter(ctx, db, next, 1)
	if err != nil || len(ids) != 1 || ids[0] != one.ID || last <= next {
		t.Fatalf("changes after %d: %d %v %v", next, last, ids, err)
	}
	if _, ids, err := db.Changes(ctx, last); err != nil || len(ids) != 0 {
		t.Fatalf("changes after the last mark: %v %v, want none", ids, err)
	}

	seen, err := svc.SeenElsewhere(ctx, two.ID, 0)
	if err != nil || len(seen) != 1 || seen[0].Number != one.Number || seen[0].Value != "203.0.113.7" {
		t.Fatalf("seen elsewhere = %+v, %v", seen, err)
	}
}

// changesAfter reads the change feed from mark until it reports want
// incidents, for at most ten seconds. A feed may hold back what it has not
// yet proven complete: PostgreSQL's waits for every transaction older than
// the newest entry to end, and those of other databases of the same server
// (other tests, running in parallel) count too.
func changesAfter(ctx context.Context, db *store.DB, mark int64, want int) (int64, []string, error) {
	var all []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		next, ids, err := db.Changes(ctx, mark)
		if err != nil {
			return next, nil, err
		}
		all, mark = append(all, ids...), next
		if len(all) >= want || time.Now().After(deadline) {
			return mark, all, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testLockHoldsUntilUnlocked takes a lock through the service, as the
// integrations do: a second holder of the key waits until it is released,
// or its context ends; another key is free meanwhile.
func testLockHoldsUntilUnlocked(t *testing.T, db *store.DB) {
	ctx := context.Background()
	svc := service(db)
	unlock, err := svc.Lock(ctx, "test.create", "inc-1")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	if _, err := svc.Lock(short, "test.create", "inc-1"); err == nil {
		t.Error("a second holder took a held lock")
	}
	cancel()
	other, err := svc.Lock(ctx, "test.create", "inc-2")
	if err != nil {
		t.Fatalf("another incident's lock: %v", err)
	}
	other()
	got := make(chan error, 1)
	go func() {
		again, err := svc.Lock(ctx, "test.create", "inc-1")
		if err == nil {
			again()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("the waiter did not wait: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	unlock() // twice is harmless
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter never got the released lock")
	}
}
