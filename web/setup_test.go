package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/measure"
	"github.com/ttp0/drone/store"
	"github.com/ttp0/drone/web"
)

// fixture is a console over a real SQLite store in a temporary directory,
// served by httptest on 127.0.0.1, with a clock the test moves.
type fixture struct {
	t   *testing.T
	db  *store.DB
	svc *drone.Service
	c   *web.Console
	srv *httptest.Server

	mu  sync.Mutex
	now time.Time
}

// Accounts of every fixture, all with the password "correct horse battery".
const password = "correct horse battery"

var accounts = []struct {
	name, clearance string
	roles           []string
}{
	{"alice", "RED", []string{"responders"}},   // may do everything on incidents, sees RED
	{"bob", "AMBER", []string{"readers"}},      // may do nothing, sees up to AMBER
	{"root", "RED", []string{drone.RoleAdmin}}, // console administrator
	{"carol", "GREEN", []string{"responders"}}, // responder with a low clearance
}

// hashOnce hashes the test password once for every fixture: argon2id is
// slow on purpose.
var hashOnce = sync.OnceValue(func() string {
	h, err := web.HashPassword(password)
	if err != nil {
		panic(err)
	}
	return h
})

type option func(*web.Options)

func setup(t *testing.T, opts ...option) *fixture {
	t.Helper()
	return newFixture(t, true, opts...)
}

func newFixture(t *testing.T, withAccounts bool, opts ...option) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "drone.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, db: db, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	fw := drone.DefaultFramework()
	fw.Zones = []string{"ZONE-A", "ZONE-B"}
	all := append([]drone.Permission(nil), drone.Permissions...)
	f.svc = &drone.Service{Store: db, Framework: fw, Targets: drone.DefaultTargets(), Extractor: ioc.New(ioc.Options{}),
		Roles: drone.Roles{{Name: "responders", Permissions: all, Members: []string{"web:group:responders"}},
			{Name: "console administrators", Permissions: all, Members: []string{"web:group:admin"}}},
		Now: f.clock}
	for _, a := range accounts {
		if !withAccounts {
			break
		}
		if err := db.CreateAccount(ctx, drone.Account{Name: a.name, DisplayName: strings.ToUpper(a.name[:1]) + a.name[1:],
			PasswordHash: hashOnce(), Roles: a.roles, Clearance: a.clearance, CreatedAt: f.now, UpdatedAt: f.now}); err != nil {
			t.Fatal(err)
		}
	}
	o := web.Options{Service: f.svc, Accounts: db, Changes: db, Queue: db, Org: "Example Org", SOC: "SOC",
		Clocks: []measure.Clock{{Name: "GDPR", Deadline: 72 * time.Hour}}, TDSHint: "set tds.inventory", Now: f.clock,
		Config: web.Config{PageSize: 50}}
	for _, opt := range opts {
		opt(&o)
	}
	f.c, err = web.New(o)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.c)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// operator is the command line's actor: changes made "elsewhere".
var operator = drone.Actor{Platform: "local", ID: "op", Name: "op"}

// declare declares an incident as the command line would.
func (f *fixture) declare(in drone.DeclareInput) *drone.Incident {
	f.t.Helper()
	if in.Category == "" {
		in.Category = "CAT1"
	}
	if in.Severity == "" {
		in.Severity = "high"
	}
	if in.Overview == "" {
		in.Overview = "Credential phishing wave"
	}
	inc, _, err := f.svc.Declare(context.Background(), operator, drone.Origin{Channel: "cli"}, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return inc
}

func (f *fixture) incident(n int64) *drone.Incident {
	f.t.Helper()
	inc, err := f.svc.Incident(context.Background(), n)
	if err != nil {
		f.t.Fatal(err)
	}
	return inc
}

func (f *fixture) count() int {
	f.t.Helper()
	incs, err := f.svc.Incidents(context.Background(), drone.IncidentFilter{Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(incs)
}

// browser is one person's cookie jar against the fixture's server; it
// does not follow redirects, so that tests see them.
type browser struct {
	f      *fixture
	client *http.Client
	csrf   string
}

func (f *fixture) anonymous() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return &browser{f: f, client: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// as signs in as one of the fixture's accounts.
func (f *fixture) as(name string) *browser {
	f.t.Helper()
	b := f.anonymous()
	res := b.post("/signin", url.Values{"name": {name}, "password": {password}, "next": {"/"}})
	if res.status != http.StatusSeeOther {
		f.t.Fatalf("signing in as %s: %d\n%s", name, res.status, res.body)
	}
	b.refreshCSRF()
	return b
}

// refreshCSRF reads the session's form token from a page.
func (b *browser) refreshCSRF() {
	b.f.t.Helper()
	res := b.get("/account")
	m := csrfField.FindStringSubmatch(res.body)
	if m == nil {
		b.f.t.Fatalf("no CSRF token on /account (%d)", res.status)
	}
	b.csrf = m[1]
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

type response struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) response {
	b.f.t.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.f.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(body)}
}

func (b *browser) get(path string) response {
	b.f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.f.srv.URL+path, nil)
	if err != nil {
		b.f.t.Fatal(err)
	}
	return b.do(req)
}

// post posts a form as a browser on the console's own page does.
func (b *browser) post(path string, form url.Values) response {
	b.f.t.Helper()
	return b.postWith(path, form, nil)
}

// submit posts a form with the session's CSRF token.
func (b *browser) submit(path string, form url.Values) response {
	b.f.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf)
	return b.post(path, form)
}

func (b *browser) postWith(path string, form url.Values, header http.Header) response {
	b.f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.f.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.f.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range header {
		req.Header[k] = v
	}
	return b.do(req)
}

// must fails unless the response has the status and holds every string.
func (r response) must(t *testing.T, status int, contains ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	for _, s := range contains {
		if !strings.Contains(r.body, s) {
			t.Fatalf("response lacks %q\n%s", s, r.body)
		}
	}
}

// mustNot fails when the response holds any of the strings.
func (r response) mustNot(t *testing.T, contains ...string) {
	t.Helper()
	for _, s := range contains {
		if strings.Contains(r.body, s) {
			t.Fatalf("response holds %q\n%s", s, r.body)
		}
	}
}

func (f *fixture) timeline(n int64) []drone.Entry {
	f.t.Helper()
	tl, err := f.svc.Timeline(context.Background(), f.incident(n).ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return tl
}

func kinds(tl []drone.Entry, kind string) int {
	n := 0
	for _, e := range tl {
		if e.Kind == kind {
			n++
		}
	}
	return n
}
