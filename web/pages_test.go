package web_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"go/build"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/configs"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/store"
	"github.com/ttp0/drone/tds"
	"github.com/ttp0/drone/web"
)

func TestBoardFiltersSearchAndPages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for i := 1; i <= 60; i++ {
		in := drone.DeclareInput{Severity: []string{"low", "medium", "high", "critical"}[i%4], Overview: fmt.Sprintf("Routine case %d", i)}
		if i == 7 {
			in.Overview, in.Category = "Ransomware note on the file server", "CAT3"
			in.Observables.Text = "evil-cdn.net"
		}
		f.declare(in)
	}
	ctx := context.Background()
	if _, err := f.svc.Close(ctx, operator, drone.Origin{}, 3, drone.CloseInput{Resolution: "FalsePositive", Summary: "test"}); err != nil {
		t.Fatal(err)
	}
	b := f.as("alice")
	first := b.get("/")
	first.must(t, http.StatusOK, `data-ref="INC-60"`, "1–50 of 59", `data-testid="page-next"`, `Open <span class="count">59</span>`,
		`Resolved and closed <span class="count">1</span>`)
	first.mustNot(t, `data-ref="INC-10"`, `data-ref="INC-3"`)
	if strings.Index(first.body, `data-ref="INC-60"`) > strings.Index(first.body, `data-ref="INC-59"`) {
		t.Fatal("the board is not newest first")
	}
	second := b.get("/?page=2")
	second.must(t, http.StatusOK, `data-ref="INC-10"`, `data-ref="INC-1"`, "51–59 of 59", `data-testid="page-prev"`)
	second.mustNot(t, `data-ref="INC-11"`, `data-ref="INC-3"`, `data-testid="page-next"`)
	b.get("/?tab=closed").must(t, http.StatusOK, `data-ref="INC-3"`, "1–1 of 1")
	crit := b.get("/?severity=4")
	crit.must(t, http.StatusOK, `data-ref="INC-59"`, `data-ref="INC-7"`, "of 14")
	crit.mustNot(t, `data-ref="INC-60"`, `data-ref="INC-58"`)
	b.get("/?category=CAT3").must(t, http.StatusOK, `data-ref="INC-7"`, "1–1 of 1")
	b.get("/?q=ransomware+server").must(t, http.StatusOK, `data-ref="INC-7"`, "1–1 of 1")
	b.get("/?q=evil-cdn[.]net").must(t, http.StatusOK, `data-ref="INC-7"`, "1–1 of 1", "Indicators are matched whole")
	b.get("/?q=INC-42").must(t, http.StatusOK, `data-ref="INC-42"`, "1–1 of 1")
	b.get("/?status=acknowledged").must(t, http.StatusOK, "No incident matches these filters.")

	// A change made elsewhere (the command line) reaches the board at the next sync.
	if _, err := f.svc.Acknowledge(ctx, operator, drone.Origin{}, 5); err != nil {
		t.Fatal(err)
	}
	if err := f.c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	b.get("/?status=acknowledged").must(t, http.StatusOK, `data-ref="INC-5"`, "1–1 of 1")
}

// The event stream tells a page of a change made by any process within a
// sync, and tells nobody of an incident above their clearance.
func TestLiveUpdates(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{TLP: "AMBER"})
	f.declare(drone.DeclareInput{TLP: "RED"})
	ctx := context.Background()
	if err := f.c.Sync(ctx); err != nil { // the first sync loads the index
		t.Fatal(err)
	}
	alice, bob := f.as("alice"), f.as("bob")
	incidentStream := alice.stream(t, "/events?incident=1")
	boardAlice := alice.stream(t, "/events?board=1")
	boardBob := bob.stream(t, "/events?board=1")

	// Another process (here the service, as the command line would) changes INC-1 then the RED INC-2.
	if _, err := f.svc.Acknowledge(ctx, operator, drone.Origin{}, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Acknowledge(ctx, operator, drone.Origin{}, 2); err != nil {
		t.Fatal(err)
	}
	if err := f.c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	incidentStream.expect(t, "INC-1")
	boardAlice.expect(t, "INC-1")
	boardAlice.expect(t, "INC-2")
	boardBob.expect(t, "INC-1")
	// Bob hears nothing of INC-2: the next event he gets is a later change of INC-1.
	if _, err := f.svc.PostUpdate(ctx, operator, drone.Origin{}, 1, drone.UpdateInput{Summary: "still here"}); err != nil {
		t.Fatal(err)
	}
	if err := f.c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	boardBob.expect(t, "INC-1")
	incidentStream.expect(t, "INC-1")
}

type eventStream struct {
	events chan string
	cancel context.CancelFunc
}

// stream opens an event stream and collects the incidents its events name.
func (b *browser) stream(t *testing.T, path string) *eventStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	client := &http.Client{Jar: b.client.Jar} // no overall timeout: the stream stays open
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &eventStream{events: make(chan string, 100), cancel: cancel}
	sc := bufio.NewScanner(res.Body)
	// The stream's first comment says it is subscribed: wait for it, so
	// that no change is published before.
	for sc.Scan() && sc.Text() != ": connected" {
	}
	go func() {
		defer res.Body.Close()
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				s.events <- d
			}
		}
		close(s.events)
	}()
	return s
}

func (s *eventStream) expect(t *testing.T, ref string) {
	t.Helper()
	select {
	case got, ok := <-s.events:
		if !ok || got != ref {
			t.Fatalf("event %q (open %v), want %s", got, ok, ref)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no event for %s", ref)
	}
}

type failingArgs struct{}

func (failingArgs) Kind() string { return "test.fail" }

type failingWorker struct {
	river.WorkerDefaults[failingArgs]
}

func (failingWorker) Work(context.Context, *river.Job[failingArgs]) error {
	return errors.New("TheHive answered 500")
}

func TestQueuePage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	if err := f.svc.Enqueue(ctx, drone.Job{Kind: "test.fail", Args: map[string]string{}, MaxAttempts: 1},
		drone.Job{Kind: "test.wait", Args: map[string]string{}, RunAt: f.clock().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &failingWorker{})
	q, err := f.db.NewQueue(workers, store.QueueConfig{PollInterval: 20 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var dead []drone.JobInfo
	for deadline := time.Now().Add(10 * time.Second); len(dead) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if dead, err = f.db.Jobs(ctx, 10, "discarded"); err != nil {
			t.Fatal(err)
		}
	}
	stop, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := q.Stop(stop); err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 {
		t.Fatal("the failing job did not die")
	}
	root := f.as("root")
	page := root.get("/queue")
	page.must(t, http.StatusOK, `data-testid="jobs-dead"`, "TheHive answered 500", "test.wait",
		fmt.Sprintf(`data-testid="retry-%d"`, dead[0].ID))
	root.submit(fmt.Sprintf("/queue/%d/retry", dead[0].ID), nil).must(t, http.StatusSeeOther)
	if left, _ := f.db.Jobs(ctx, 10, "discarded"); len(left) != 0 {
		t.Fatal("the job is still dead")
	}
	root.get("/queue?retried=1").must(t, http.StatusOK, "is due again")
	root.submit("/queue/999/retry", nil).must(t, http.StatusNotFound)
}

func TestLeadersView(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{Severity: "critical", Zone: "ZONE-A", Overview: "Beacon to 203.0.113.7 from the payroll server",
		Observables: drone.ObservableInput{Text: "203.0.113.7"}})
	f.declare(drone.DeclareInput{Severity: "low", Overview: "A user clicked a link"})
	b := f.as("bob")
	page := b.get("/leaders")
	page.must(t, http.StatusOK, "[an IP address]", "declared, waiting for a responder", "zone ZONE-A", `data-testid="print"`)
	page.mustNot(t, "203.0.113.7", "203[.]0[.]113[.]7")
	if strings.Index(page.body, `data-ref="INC-1"`) > strings.Index(page.body, `data-ref="INC-2"`) {
		t.Fatal("the most severe incident is not first")
	}
	one := b.get("/leaders/1")
	one.must(t, http.StatusOK, "What happened", "Beacon to [an IP address] from the payroll server", "to acknowledge", `data-testid="leader-durations"`)
	one.mustNot(t, "203.0.113.7")
}

func TestMeasuresPage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	for i := range 6 {
		inc := f.declare(drone.DeclareInput{Severity: []string{"high", "critical"}[i%2]})
		f.advance(90 * time.Minute)
		if _, err := f.svc.Acknowledge(ctx, operator, drone.Origin{}, inc.Number); err != nil {
			t.Fatal(err)
		}
		f.advance(24 * time.Hour)
		if _, err := f.svc.PostUpdate(ctx, operator, drone.Origin{}, inc.Number, drone.UpdateInput{Status: drone.StatusResolved, Summary: "done"}); err != nil {
			t.Fatal(err)
		}
	}
	b := f.as("alice")
	page := b.get("/measures")
	page.must(t, http.StatusOK, `data-testid="chart-mtta"`, `data-testid="chart-mttr"`, `data-testid="chart-missed"`,
		`data-testid="measures-table"`, "CRITICAL", "HIGH", "<path d=\"M", "GDPR 3d")
	b.get("/measures?by=category&span=30d").must(t, http.StatusOK, "CAT1 Intrusion", "Mean time to acknowledge by category")
}

func TestThreatDrivenSecurityPage(t *testing.T) {
	t.Parallel()
	lib, probs, err := tds.LoadLibrary(configs.TDS, "tds")
	if err != nil || len(probs) > 0 {
		t.Fatal(err, probs)
	}
	off := setup(t, func(o *web.Options) { o.Library = lib })
	b := off.as("bob")
	page := b.get("/tds")
	page.must(t, http.StatusOK, `data-testid="tds-off"`, "set tds.inventory", `data-testid="tds-library"`, lib.Threats[0].Name)
	// Each surface's name stays whole: the list breaks between names, never at a name's hyphen.
	page.must(t, http.StatusOK, `<span class="surface">`+lib.Threats[0].Surfaces[0].Name+`</span>`)
	if css := b.get("/static/console.css"); !strings.Contains(css.body, ".surface { white-space: nowrap; }") {
		t.Error("console.css lets surface names break")
	}
	b.get("/tds/navigator.json").must(t, http.StatusNotFound)

	inv, probs, err := tds.LoadInventory("../configs/inventory.example.yaml")
	if err != nil || len(probs) > 0 {
		t.Fatal(err, probs)
	}
	a := tds.Assess(lib, inv)
	on := setup(t, func(o *web.Options) { o.Library, o.Assessment = lib, a })
	b = on.as("bob")
	page = b.get("/tds")
	page.must(t, http.StatusOK, `data-testid="tds-threats"`, `data-testid="tds-table"`, "THREAT", "Earliest stage seen",
		`data-threat="`+a.Threats[0].Name+`"`)
	nav := b.get("/tds/navigator.json")
	nav.must(t, http.StatusOK, `"domain": "enterprise-attack"`, `"techniques"`)
}

func TestAccountsPages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	root := f.as("root")
	root.get("/accounts").must(t, http.StatusOK, `data-account="alice"`, `data-account="bob"`)
	root.submit("/accounts", url.Values{"name": {"Eve Smith"}, "password": {"short"}, "clearance": {"PURPLE"}, "roles": {"web:group:x"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-name"`, `data-testid="error-password"`,
			`data-testid="error-clearance"`, `data-testid="error-roles"`)
	root.submit("/accounts", url.Values{"name": {"alice"}, "password": {password}, "clearance": {"GREEN"}}).
		must(t, http.StatusUnprocessableEntity, "already an account")
	root.submit("/accounts", url.Values{"name": {"eve"}, "display_name": {"Eve"}, "password": {password}, "clearance": {"green"},
		"roles": {"responders, readers"}}).must(t, http.StatusSeeOther)
	acc, err := f.db.Account(context.Background(), "eve")
	if err != nil || acc.Clearance != "GREEN" || len(acc.Roles) != 2 || !web.VerifyPassword(acc.PasswordHash, password) {
		t.Fatalf("eve: %+v %v", acc, err)
	}
	eve := f.as("eve")
	eve.get("/").must(t, http.StatusOK, "Eve")

	// Changing one's password signs out the other sessions, not this one.
	other := f.as("eve")
	eve.submit("/account/password", url.Values{"current": {"nope"}, "password": {"short"}}).
		must(t, http.StatusUnprocessableEntity, "not your current password")
	eve.submit("/account/password", url.Values{"current": {password}, "password": {"a much longer secret"},
		"confirm": {"a much longer secret"}}).must(t, http.StatusSeeOther)
	eve.get("/account?changed=1").must(t, http.StatusOK, `data-testid="password-changed"`)
	if res := other.get("/"); res.status != http.StatusSeeOther {
		t.Fatalf("the other session survived a password change: %d", res.status)
	}
}

// The console is an adapter: it reads and writes through drone.Service and
// small interfaces, never through SQL or the queue's library.
func TestConsoleImportsNoDatabase(t *testing.T) {
	t.Parallel()
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		for _, banned := range []string{"database/sql", "github.com/riverqueue", "github.com/ttp0/drone/store", "modernc.org"} {
			if strings.HasPrefix(imp, banned) {
				t.Errorf("web imports %s", imp)
			}
		}
	}
}

func TestPasswordHashes(t *testing.T) {
	t.Parallel()
	h1, err := web.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := web.HashPassword(password)
	if h1 == h2 || !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hashes %q and %q: the salt must differ per hash", h1, h2)
	}
	if !web.VerifyPassword(h1, password) || web.VerifyPassword(h1, password+"x") || web.VerifyPassword("$bcrypt$x", password) ||
		web.VerifyPassword("", "") {
		t.Fatal("verification is wrong")
	}
}
