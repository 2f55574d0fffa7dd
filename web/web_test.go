package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/web"
)

func regexpFind(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in\n%s", pattern, s)
	}
	return m[1]
}

// Every route but the sign-in and set-up pages and the static files sends
// a stranger to the sign-in page, and comes back after.
func TestEveryRouteNeedsSigningIn(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{})
	b := f.anonymous()
	for _, path := range []string{"/", "/?tab=closed", "/declare", "/incidents/1", "/incidents/1/export", "/incidents/1/review", "/leaders",
		"/leaders/1", "/measures", "/tds", "/tds/navigator.json", "/queue", "/accounts", "/account", "/events?incident=1"} {
		res := b.get(path)
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/signin?next="+url.QueryEscape(path) {
			t.Errorf("GET %s: %d to %q", path, res.status, res.header.Get("Location"))
		}
	}
	for _, path := range []string{"/declare", "/incidents/1/ack", "/incidents/1/status", "/incidents/1/ioc-save",
		"/incidents/1/close", "/incidents/1/role", "/incidents/1/grant", "/incidents/1/actions", "/incidents/1/actions/1/done",
		"/incidents/1/actions/1/reopen", "/incidents/1/actions/1/cancel", "/incidents/1/snooze",
		"/queue/1/retry", "/accounts", "/account/password", "/signout"} {
		res := b.post(path, url.Values{"csrf": {"x"}, "overview": {"x"}})
		if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/signin") {
			t.Errorf("POST %s: %d to %q", path, res.status, res.header.Get("Location"))
		}
	}
	if f.incident(1).Status != drone.StatusOpen || f.count() != 1 {
		t.Fatal("a stranger changed something")
	}
	b.get("/static/console.css").must(t, http.StatusOK, "--sev-4")
	b.get("/signin").must(t, http.StatusOK, `data-testid="form-signin"`)
	b.get("/nowhere").must(t, http.StatusNotFound)
}

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	f := setup(t)
	b := f.anonymous()
	b.post("/signin", url.Values{"name": {"alice"}, "password": {"wrong password!"}}).
		must(t, http.StatusUnauthorized, "Wrong name or password.")
	b.post("/signin", url.Values{"name": {"nobody"}, "password": {password}}).
		must(t, http.StatusUnauthorized, "Wrong name or password.")
	res := b.post("/signin", url.Values{"name": {" Alice "}, "password": {password}, "next": {"/measures"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/measures" {
		t.Fatalf("sign-in: %d to %q", res.status, res.header.Get("Location"))
	}
	ck := res.header.Get("Set-Cookie")
	for _, want := range []string{"drone_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(ck, want) {
			t.Errorf("cookie %q lacks %s", ck, want)
		}
	}
	if strings.Contains(ck, "Secure") {
		t.Errorf("cookie %q is Secure over plain HTTP without web.secure_cookies", ck)
	}
	// An open redirect is not followed.
	res = f.anonymous().post("/signin", url.Values{"name": {"alice"}, "password": {password}, "next": {"//evil.example/"}})
	if res.header.Get("Location") != "/" {
		t.Errorf("next //evil.example/ redirected to %q", res.header.Get("Location"))
	}
	b.refreshCSRF()
	b.get("/").must(t, http.StatusOK, "Alice")
	b.submit("/signout", nil)
	if res := b.get("/"); res.status != http.StatusSeeOther {
		t.Fatalf("after signing out: %d", res.status)
	}
}

func TestSecureCookiesWhenAsked(t *testing.T) {
	t.Parallel()
	f := setup(t, func(o *web.Options) { o.Config.SecureCookies = true })
	res := f.anonymous().post("/signin", url.Values{"name": {"alice"}, "password": {password}})
	ck := res.header.Get("Set-Cookie")
	if !strings.HasPrefix(ck, "__Host-drone_session=") || !strings.Contains(ck, "Secure") {
		t.Fatalf("cookie %q", ck)
	}
}

func TestSignInIsRateLimited(t *testing.T) {
	t.Parallel()
	f := setup(t)
	b := f.anonymous()
	for i := 0; i < 5; i++ {
		b.post("/signin", url.Values{"name": {"alice"}, "password": {"guess number " + string(rune('a'+i))}}).
			must(t, http.StatusUnauthorized)
	}
	// Even the right password waits now.
	b.post("/signin", url.Values{"name": {"alice"}, "password": {password}}).must(t, http.StatusTooManyRequests, "Too many sign-in attempts")
	// Another name from the same address still gets through...
	b.post("/signin", url.Values{"name": {"bob"}, "password": {password}}).must(t, http.StatusSeeOther)
	// ...and alice again once the bucket refilled.
	f.advance(time.Minute)
	b.post("/signin", url.Values{"name": {"alice"}, "password": {password}}).must(t, http.StatusSeeOther)
}

func TestSessionsExpire(t *testing.T) {
	t.Parallel()
	f := setup(t, func(o *web.Options) {
		o.Config.IdleTimeout = 30 * time.Minute
		o.Config.SessionLifetime = 2 * time.Hour
	})
	b := f.as("alice")
	for range 4 { // used every 25 minutes: the idle time never passes
		f.advance(25 * time.Minute)
		b.get("/").must(t, http.StatusOK)
	}
	f.advance(21 * time.Minute) // not idle for long, but past the absolute lifetime of 2 hours
	if res := b.get("/"); res.status != http.StatusSeeOther {
		t.Fatalf("a session past its lifetime: %d", res.status)
	}
	b = f.as("alice")
	f.advance(31 * time.Minute)
	if res := b.get("/"); res.status != http.StatusSeeOther {
		t.Fatalf("an idle session: %d", res.status)
	}
}

// A form without the session's token, with another token, or from another
// site is refused, and changes nothing.
func TestFormsNeedTheirTokenAndOrigin(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{})
	b := f.as("alice")
	b.post("/incidents/1/ack", url.Values{}).must(t, http.StatusForbidden, "did not come from this console")
	b.post("/incidents/1/ack", url.Values{"csrf": {"forged"}}).must(t, http.StatusForbidden)
	other := f.as("root")
	b.post("/incidents/1/ack", url.Values{"csrf": {other.csrf}}).must(t, http.StatusForbidden)
	cross := http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}
	b.postWith("/incidents/1/ack", url.Values{"csrf": {b.csrf}}, cross).must(t, http.StatusForbidden, "came from another site")
	b.postWith("/signin", url.Values{"name": {"alice"}, "password": {password}}, cross).must(t, http.StatusForbidden)
	b.post("/declare", url.Values{"category": {"CAT1"}, "severity": {"3"}, "tlp": {"AMBER"}, "pap": {"AMBER"}, "overview": {"x"}}).
		must(t, http.StatusForbidden)
	if f.incident(1).Status != drone.StatusOpen || f.count() != 1 {
		t.Fatal("a refused form changed something")
	}
	b.submit("/incidents/1/ack", nil).must(t, http.StatusSeeOther)
	if inc := f.incident(1); inc.Status != drone.StatusAcknowledged || inc.Lead != "web:alice" {
		t.Fatalf("after ack: %s, lead %q", inc.Status, inc.Lead)
	}
}

// drone's roles decide: bob's console role holds no permission, so every
// action is refused (and the attempt recorded), and the admin pages too.
func TestRolesRefuse(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{})
	b := f.as("bob")
	b.get("/declare").must(t, http.StatusForbidden, "you may not declare")
	b.submit("/declare", url.Values{"category": {"CAT1"}, "severity": {"3"}, "tlp": {"AMBER"}, "pap": {"AMBER"}, "overview": {"x"}}).
		must(t, http.StatusForbidden)
	for _, action := range []string{"ack", "close", "reopen"} {
		b.submit("/incidents/1/"+action, url.Values{"resolution": {"TruePositive"}, "impact": {"NoImpact"}, "summary": {"x"}}).
			must(t, http.StatusForbidden)
	}
	b.submit("/incidents/1/ioc", url.Values{"text": {"203.0.113.9"}}).must(t, http.StatusForbidden)
	b.submit("/incidents/1/ioc-save", url.Values{"text": {"203.0.113.9"}}).must(t, http.StatusForbidden)
	page := b.get("/incidents/1")
	page.must(t, http.StatusOK, `data-testid="no-actions"`)
	page.mustNot(t, `data-testid="action-ack"`, `data-testid="form-close"`)
	b.get("/queue").must(t, http.StatusForbidden, "console administrators")
	b.get("/accounts").must(t, http.StatusForbidden)
	b.submit("/queue/1/retry", nil).must(t, http.StatusForbidden)
	if f.count() != 1 || f.incident(1).Status != drone.StatusOpen {
		t.Fatal("a refused action changed something")
	}
	if n := kinds(f.timeline(1), drone.EntryDenied); n != 4 {
		t.Fatalf("%d denied attempts on the timeline, want 4 (ack, close, reopen, ioc-save)", n)
	}
}

func TestDeclareForm(t *testing.T) {
	t.Parallel()
	f := setup(t)
	b := f.as("alice")
	page := b.get("/declare")
	page.must(t, http.StatusOK, `data-testid="f-declare-category"`, `<optgroup label="CAT1 Intrusion" data-parent="CAT1">`,
		`data-testid="f-declare-pap"`, `name="key"`)
	key := regexpFind(t, page.body, `name="key" value="([^"]+)"`)

	// Mistakes come back beside their fields with what was typed; nothing is stored.
	bad := url.Values{"key": {key}, "category": {"CAT1"}, "subcontext": {"Volumetric"}, "severity": {""}, "tlp": {"AMBER"},
		"pap": {"AMBER"}, "overview": {""}, "indicators": {"evil-cdn[.]net"}}
	res := b.submit("/declare", bad)
	res.must(t, http.StatusUnprocessableEntity, `data-testid="error-overview"`, "Overview is required.",
		`data-testid="error-severity"`, `data-testid="error-subcontext"`, "evil-cdn[.]net")
	if f.count() != 0 {
		t.Fatal("an invalid declaration was stored")
	}
	// Above one's own clearance: refused, since one could not see it.
	carol := f.as("carol")
	carol.submit("/declare", url.Values{"key": {key}, "category": {"CAT1"}, "severity": {"3"}, "tlp": {"RED"}, "pap": {"AMBER"},
		"overview": {"x"}}).must(t, http.StatusUnprocessableEntity, `data-testid="error-tlp"`)

	good := url.Values{"key": {key}, "category": {"CAT1"}, "subcontext": {"Phishing"}, "severity": {"4"}, "tier": {"T2"},
		"zone": {"ZONE-A"}, "business_unit": {"VARIOUS"}, "tlp": {"GREEN"}, "pap": {"RED"},
		"overview": {"Mail with a link to hxxps://login-examp1e[.]com/o365"}, "indicators": {"203.0.113.7 evil-cdn[.]net"}}
	res = b.submit("/declare", good)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/incidents/1" {
		t.Fatalf("declare: %d to %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	inc := f.incident(1)
	if inc.SubContext != "Phishing" || inc.Severity != 4 || inc.TLP != "GREEN" || inc.PAP != "RED" || inc.Reporter.Identity() != "web:alice" {
		t.Fatalf("declared %+v", inc)
	}
	// A second submit of the same form (a double click) declares nothing more.
	b.submit("/declare", good).must(t, http.StatusSeeOther)
	if f.count() != 1 {
		t.Fatalf("%d incidents after a double submit", f.count())
	}
	// Rejected candidates are shown with their reasons.
	delete(good, "key")
	good.Set("indicators", "203.0.113.8 1.2.3.4.5")
	b.submit("/declare", good).must(t, http.StatusOK, `data-testid="rejected"`, "1.2.3.4.5", `data-testid="declared-ref"`)
	b.get("/").must(t, http.StatusOK, `data-ref="INC-1"`, `data-ref="INC-2"`)
}

func TestIncidentActions(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{Observables: drone.ObservableInput{Text: "203.0.113.7"}})
	other := f.declare(drone.DeclareInput{Observables: drone.ObservableInput{Text: "203.0.113.7 evil-cdn.net"}})
	b := f.as("alice")
	page := b.get("/incidents/1")
	page.must(t, http.StatusOK, `data-testid="chain-state"`, "Hash chain verified", "drone incident verify INC-1",
		`href="/incidents/2" data-testid="seen-link"`, "203[.]0[.]113[.]7", `data-testid="action-ack"`)

	b.submit("/incidents/1/ack", nil).must(t, http.StatusSeeOther)
	b.submit("/incidents/1/ack", nil).must(t, http.StatusConflict, `data-testid="action-message"`, "already acknowledged")

	// A status update with a bad next-update time comes back with the message; nothing changes.
	b.submit("/incidents/1/status", url.Values{"status": {"contained"}, "summary": {"domain blocked"}, "next_update": {"soon"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-next_update"`, "domain blocked")
	if f.incident(1).Status != drone.StatusAcknowledged {
		t.Fatal("a rejected update changed the status")
	}
	b.submit("/incidents/1/status", url.Values{"status": {"contained"}, "summary": {"domain blocked"}, "next_update": {"30m"}}).
		must(t, http.StatusSeeOther)
	inc := f.incident(1)
	if inc.Status != drone.StatusContained || inc.NextUpdateDue == nil || !inc.NextUpdateDue.Equal(f.clock().Add(30*time.Minute)) {
		t.Fatalf("after the update: %s, next %v", inc.Status, inc.NextUpdateDue)
	}

	b.submit("/incidents/1/lead", url.Values{"lead": {"Bob"}}).must(t, http.StatusSeeOther)
	if f.incident(1).Lead != "web:bob" {
		t.Fatalf("lead %q", f.incident(1).Lead)
	}

	// Indicators: the preview shows found and rejected with reasons and saves nothing.
	before := len(mustObservables(t, f, 1))
	res := b.submit("/incidents/1/ioc", url.Values{"text": {"beacon to evil-cdn[.]net from 10.0.0.8, version 1.2.3.4.5"}})
	res.must(t, http.StatusOK, `data-testid="ioc-preview"`, "evil-cdn[.]net", `data-testid="preview-rejected"`, "1.2.3.4.5")
	if len(mustObservables(t, f, 1)) != before {
		t.Fatal("the preview saved indicators")
	}
	b.submit("/incidents/1/ioc", url.Values{"text": {"  "}}).must(t, http.StatusUnprocessableEntity, `data-testid="error-ioc"`)
	b.submit("/incidents/1/ioc-save", url.Values{"text": {"beacon to evil-cdn[.]net from 10.0.0.8"}}).must(t, http.StatusSeeOther)
	if n := len(mustObservables(t, f, 1)); n != before+2 {
		t.Fatalf("%d indicators after saving, want %d", n, before+2)
	}

	// Closing needs its fields; then it closes, and reopens.
	b.submit("/incidents/1/close", url.Values{"resolution": {"TruePositive"}, "impact": {"NoImpact"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-summary"`)
	b.submit("/incidents/1/close", url.Values{"resolution": {"TruePositive"}, "impact": {"NoImpact"}, "summary": {"5 users reset"}}).
		must(t, http.StatusSeeOther)
	if inc := f.incident(1); inc.Status != drone.StatusClosed || inc.Resolution != "TruePositive" {
		t.Fatalf("after close: %+v", inc)
	}
	b.get("/incidents/1").must(t, http.StatusOK, `data-testid="form-reopen"`)
	b.submit("/incidents/1/reopen", url.Values{"reason": {"it came back"}}).must(t, http.StatusSeeOther)
	if f.incident(1).Status != drone.StatusContained {
		t.Fatalf("after reopen: %s", f.incident(1).Status)
	}
	b.submit("/incidents/1/dance", nil).must(t, http.StatusNotFound)

	// The evidence export is drone incident export's JSON, with a chain that verifies.
	res = b.get("/incidents/1/export")
	res.must(t, http.StatusOK, `"format": "drone-evidence/1"`)
	if cd := res.header.Get("Content-Disposition"); !strings.Contains(cd, "inc-1-evidence.json") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	var ev drone.Evidence
	if err := json.Unmarshal([]byte(res.body), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ExportedBy != "web:alice" || drone.Verify(ev.Timeline) != nil || ev.HeadHash != ev.Timeline[len(ev.Timeline)-1].Hash ||
		ev.Incident.Number != 1 {
		t.Fatalf("evidence: by %s, %d entries", ev.ExportedBy, len(ev.Timeline))
	}
	if other.Number != 2 {
		t.Fatalf("the second incident is %s", other.Ref())
	}
}

func mustObservables(t *testing.T, f *fixture, n int64) []drone.Observable {
	t.Helper()
	obs, err := f.svc.Observables(context.Background(), f.incident(n).ID)
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

// A TLP:RED incident does not exist for bob (AMBER): 404 like a missing
// one, and absent from the board, search, the leaders' view, the measures
// and the event streams.
func TestClearanceHidesIncidents(t *testing.T) {
	t.Parallel()
	f := setup(t)
	red := f.declare(drone.DeclareInput{TLP: "RED", Overview: "Board member's mailbox read by an intruder",
		Observables: drone.ObservableInput{Text: "198.51.100.23"}})
	f.declare(drone.DeclareInput{TLP: "AMBER", Overview: "Phishing wave", Observables: drone.ObservableInput{Text: "198.51.100.23"}})
	if _, err := f.svc.MarkReportable(context.Background(), operator, drone.Origin{}, red.Number, drone.ReportableInput{}); err != nil {
		t.Fatal(err)
	}
	bob, alice := f.as("bob"), f.as("alice")
	missing := bob.get("/incidents/99")
	missing.must(t, http.StatusNotFound)
	for _, path := range []string{"/incidents/1", "/incidents/1/export", "/leaders/1", "/events?incident=1"} {
		res := bob.get(path)
		res.must(t, http.StatusNotFound, "There is no such page or incident.")
		res.mustNot(t, "Board member", "INC-1 ")
	}
	bob.submit("/incidents/1/ack", nil).must(t, http.StatusNotFound)
	for _, path := range []string{"/", "/?q=mailbox", "/?q=198.51.100[.]23", "/?q=INC-1", "/?tlp=RED", "/leaders", "/measures"} {
		res := bob.get(path)
		res.must(t, http.StatusOK)
		res.mustNot(t, `data-ref="INC-1"`, "Board member", `href="/incidents/1"`, `href="/leaders/1"`)
	}
	bob.get("/?q=198.51.100[.]23").must(t, http.StatusOK, `data-ref="INC-2"`)
	bob.get("/incidents/2").mustNot(t, `href="/incidents/1"`) // not "seen in INC-1"
	// Alice, cleared for RED, sees it everywhere.
	alice.get("/incidents/1").must(t, http.StatusOK, "Board member")
	alice.get("/?q=198.51.100[.]23").must(t, http.StatusOK, `data-ref="INC-1"`, `data-ref="INC-2"`)
	alice.get("/leaders").must(t, http.StatusOK, `data-ref="INC-1"`)
	alice.get("/measures").must(t, http.StatusOK, `data-testid="deadline-table"`, `href="/incidents/1"`)
	alice.get("/incidents/2").must(t, http.StatusOK, `href="/incidents/1" data-testid="seen-link"`)
}

// Every view of a RED incident is on its timeline, once per person and
// window however often the page is refreshed.
func TestRedViewsAreRecorded(t *testing.T) {
	t.Parallel()
	f := setup(t, func(o *web.Options) { o.Config.ViewWindow = 15 * time.Minute })
	f.declare(drone.DeclareInput{TLP: "RED"})
	f.declare(drone.DeclareInput{TLP: "AMBER"})
	alice, root := f.as("alice"), f.as("root")
	for range 3 {
		alice.get("/incidents/1").must(t, http.StatusOK, "Every view of this incident is recorded")
		alice.get("/incidents/2").must(t, http.StatusOK)
	}
	root.get("/incidents/1").must(t, http.StatusOK)
	alice.get("/incidents/1/export").must(t, http.StatusOK)
	if n := kinds(f.timeline(1), drone.EntryViewed); n != 3 {
		t.Fatalf("%d views recorded, want 3 (alice's page, root's page, alice's export)", n)
	}
	if n := kinds(f.timeline(2), drone.EntryViewed); n != 0 {
		t.Fatalf("%d views of an AMBER incident recorded", n)
	}
	f.advance(16 * time.Minute)
	alice.get("/incidents/1").must(t, http.StatusOK, "Alice viewed INC-1")
	tl := f.timeline(1)
	if n := kinds(tl, drone.EntryViewed); n != 4 {
		t.Fatalf("%d views recorded after the window, want 4", n)
	}
	if err := drone.Verify(tl); err != nil {
		t.Fatal(err)
	}
}

func TestSetupLink(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	if _, ok, err := f.c.SetupLink(ctx, f.srv.URL); err != nil || ok {
		t.Fatalf("a link while accounts exist: %v %v", ok, err)
	}
	f = setupEmpty(t)
	link, ok, err := f.c.SetupLink(ctx, f.srv.URL)
	if err != nil || !ok || !strings.HasPrefix(link, f.srv.URL+"/setup?token=") {
		t.Fatalf("link %q %v %v", link, ok, err)
	}
	token := strings.TrimPrefix(link, f.srv.URL+"/setup?token=")
	b := f.anonymous()
	b.get("/setup?token=wrong").must(t, http.StatusNotFound, "not valid")
	b.get("/setup?token="+token).must(t, http.StatusOK, `data-testid="form-setup"`)
	b.post("/setup", url.Values{"token": {token}, "name": {"Dana"}, "password": {"short"}, "confirm": {"short"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-password"`)
	b.post("/setup", url.Values{"token": {token}, "name": {"dana"}, "password": {password}, "confirm": {password + "!"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-confirm"`)
	// A password too short and differing from its repetition: both are said at once.
	b.post("/setup", url.Values{"token": {token}, "name": {"dana"}, "password": {"short"}, "confirm": {"shorter"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-password"`, `data-testid="error-confirm"`)
	if accs, _ := f.db.ListAccounts(ctx); len(accs) != 0 {
		t.Fatal("an account was made from an invalid form")
	}
	res := b.post("/setup", url.Values{"token": {token}, "name": {"Dana"}, "display_name": {"Dana Scully"}, "password": {password}, "confirm": {password}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" {
		t.Fatalf("set-up: %d\n%s", res.status, res.body)
	}
	acc, err := f.db.Account(ctx, "dana")
	if err != nil || acc.Clearance != "RED" || len(acc.Roles) != 1 || acc.Roles[0] != drone.RoleAdmin {
		t.Fatalf("first administrator: %+v %v", acc, err)
	}
	b.get("/queue").must(t, http.StatusOK) // signed in, as an administrator
	// Single use.
	f.anonymous().get("/setup?token="+token).must(t, http.StatusNotFound)
	f.anonymous().post("/setup", url.Values{"token": {token}, "name": {"eve"}, "password": {password}, "confirm": {password}}).
		must(t, http.StatusNotFound)

	// Valid for an hour.
	g := setupEmpty(t)
	link, _, _ = g.c.SetupLink(ctx, g.srv.URL)
	token = strings.TrimPrefix(link, g.srv.URL+"/setup?token=")
	g.advance(59 * time.Minute)
	g.anonymous().get("/setup?token="+token).must(t, http.StatusOK)
	g.advance(2 * time.Minute)
	g.anonymous().get("/setup?token="+token).must(t, http.StatusNotFound)
	g.anonymous().post("/setup", url.Values{"token": {token}, "name": {"eve"}, "password": {password}, "confirm": {password}}).
		must(t, http.StatusNotFound)
	if accs, _ := g.db.ListAccounts(ctx); len(accs) != 0 {
		t.Fatal("an expired link made an account")
	}
}

// setupEmpty is a fixture whose store has no account yet.
func setupEmpty(t *testing.T) *fixture {
	t.Helper()
	return newFixture(t, false)
}

// The console's loop removes the sessions that ended unused.
func TestRunRemovesEndedSessions(t *testing.T) {
	t.Parallel()
	f := setup(t, func(o *web.Options) { o.Config.Poll = 10 * time.Millisecond })
	alice := f.as("alice")
	u, _ := url.Parse(f.srv.URL)
	cookies := alice.client.Jar.Cookies(u)
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	sum := sha256.Sum256([]byte(cookies[0].Value))
	id := hex.EncodeToString(sum[:])
	ctx := context.Background()
	if _, err := f.db.Session(ctx, id); err != nil {
		t.Fatal(err)
	}
	f.advance(31 * time.Minute)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.c.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, err := f.db.Session(ctx, id)
		if drone.ErrorCode(err) == drone.ENOTFOUND {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the idle session is still kept (%v)", err)
		}
	}
}

// The incident page names the lead as the timeline does, labels a close
// as a close, and offers no indicators on a closed incident, which the
// service refuses anyway.
func TestIncidentPageAfterClosing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{})
	b := f.as("alice")
	b.submit("/incidents/1/ack", nil).must(t, http.StatusSeeOther)
	page := b.get("/incidents/1")
	lead := regexpFind(t, page.body, `data-testid="incident-lead">(.*?)</dd>`)
	if !strings.HasPrefix(lead, "Alice ") || !strings.Contains(lead, "web:alice") {
		t.Errorf("lead shown as %q, want the name Alice first", lead)
	}
	page.must(t, http.StatusOK, `data-testid="add-indicators"`)
	page.must(t, http.StatusOK, "No follow-up action")
	due := time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)
	if _, err := f.svc.AddFollowUp(context.Background(), drone.Actor{Platform: "local", ID: "op"}, drone.Origin{}, 1,
		drone.FollowUpInput{Text: "Re-image <laptop>", Owner: "web:alice", Due: &due}); err != nil {
		t.Fatal(err)
	}
	b.submit("/incidents/1/close", url.Values{"resolution": {"TruePositive"}, "impact": {"NoImpact"}, "summary": {"done"}}).
		must(t, http.StatusSeeOther)
	page = b.get("/incidents/1")
	page.mustNot(t, `data-testid="add-indicators"`, `action="/incidents/1/ioc"`)
	// The incident is closed; its action is still open, and overdue.
	row := regexpFind(t, page.body, `(?s)<tr data-testid="followup-row">(.*?)</tr>`)
	for _, want := range []string{"ACT-1", "Re-image &lt;laptop&gt;", "web:alice", `class="overdue">2020-01-02`, "<td>overdue</td>"} {
		if !strings.Contains(row, want) {
			t.Errorf("follow-up row %q lacks %q", row, want)
		}
	}
	if !strings.Contains(page.body, `<span class="kind">closed</span> <span class="text">Alice closed INC-1`) {
		t.Errorf("the close is not labelled as one:\n%s", regexpFind(t, page.body, `(?s)(<ol class="timeline">.*?</ol>)`))
	}
	before := len(f.timeline(1))
	b.submit("/incidents/1/ioc-save", url.Values{"text": {"203.0.113.9"}}).
		must(t, http.StatusConflict, "INC-1 is closed; reopen it first to add indicators")
	obs, err := f.svc.Observables(context.Background(), f.incident(1).ID)
	if err != nil || len(obs) != 0 || len(f.timeline(1)) != before {
		t.Fatalf("indicators added to a closed incident: %v %v", obs, err)
	}
}

// lockedBuffer is a log's destination that tests read while handlers write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Asking for an incident above one's clearance is logged with the user,
// and left off the incident's timeline, which would reveal it.
func TestAboveClearanceIsLoggedNotOnTheTimeline(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	f := setup(t, func(o *web.Options) { o.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	f.declare(drone.DeclareInput{TLP: "RED", Overview: "Board member's mailbox"})
	before := len(f.timeline(1))
	bob := f.as("bob")
	bob.get("/incidents/1").must(t, http.StatusNotFound)
	bob.get("/events?incident=1").must(t, http.StatusNotFound)
	bob.get("/incidents/99").must(t, http.StatusNotFound)
	got := logs.String()
	if n := strings.Count(got, "above the user's clearance"); n != 2 ||
		!strings.Contains(got, "user=bob clearance=AMBER incident=INC-1 tlp=RED path=/incidents/1") {
		t.Fatalf("%d log lines for 2 attempts:\n%s", n, got)
	}
	if after := len(f.timeline(1)); after != before {
		t.Fatalf("the attempts are on the timeline: %d entries, were %d", after, before)
	}
}

// An administrator changes an account's roles and clearance on the
// accounts page; the change holds from the account's next page.
func TestAccountsPageChangesRolesAndClearance(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{TLP: "RED", Overview: "Board member's mailbox"})
	root, bob := f.as("root"), f.as("bob")
	bob.get("/incidents/1").must(t, http.StatusNotFound)
	root.get("/accounts").must(t, http.StatusOK, `action="/accounts/bob"`, `data-testid="edit-roles"`)
	bob.submit("/accounts/bob", url.Values{"roles": {"admin"}, "clearance": {"RED"}}).must(t, http.StatusForbidden)
	root.submit("/accounts/bob", url.Values{"roles": {"web:group:x"}, "clearance": {"PURPLE"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-edit-roles"`, `data-testid="error-edit-clearance"`)
	root.submit("/accounts/root", url.Values{"roles": {"responders"}, "clearance": {"RED"}}).
		must(t, http.StatusUnprocessableEntity, "cannot take the role admin from yourself")
	root.submit("/accounts/nobody", url.Values{"roles": {""}, "clearance": {"RED"}}).must(t, http.StatusNotFound)
	res := root.submit("/accounts/bob", url.Values{"roles": {"responders, readers"}, "clearance": {"red"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/accounts?changed=bob" {
		t.Fatalf("change: %d %q", res.status, res.header.Get("Location"))
	}
	acc, err := f.db.Account(context.Background(), "bob")
	if err != nil || acc.Clearance != "RED" || strings.Join(acc.Roles, ",") != "responders,readers" {
		t.Fatalf("bob: %+v %v", acc, err)
	}
	bob.get("/incidents/1").must(t, http.StatusOK, "Board member", `data-testid="action-ack"`)
}

// A private incident needs RED clearance, as a RED one does, whatever its
// own TLP: bob, cleared to AMBER, finds no AMBER private incident anywhere
// until he is let into it; alice, cleared for RED, sees it.
func TestPrivateIncidentsNeedRedClearance(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{TLP: "AMBER", Private: true, Overview: "Payroll export leaked"})
	f.declare(drone.DeclareInput{TLP: "AMBER", Overview: "Phishing wave"})
	bob, alice := f.as("bob"), f.as("alice")
	for _, path := range []string{"/incidents/1", "/incidents/1/export", "/leaders/1"} {
		res := bob.get(path)
		res.must(t, http.StatusNotFound, "There is no such page or incident.")
		res.mustNot(t, "Payroll")
	}
	for _, path := range []string{"/", "/?q=payroll", "/?q=INC-1", "/leaders"} {
		res := bob.get(path)
		res.must(t, http.StatusOK)
		res.mustNot(t, `data-ref="INC-1"`, "Payroll")
	}
	bob.get("/").must(t, http.StatusOK, `data-ref="INC-2"`)
	alice.get("/incidents/1").must(t, http.StatusOK, "Payroll", `data-testid="incident-private"`)
	if _, err := f.svc.AssignRole(context.Background(), operator, drone.Origin{}, 1, "comms", "web:alice"); err != nil {
		t.Fatal(err)
	}
	alice.get("/incidents/1").must(t, http.StatusOK, "Communications: web:alice")
	if _, err := f.svc.Grant(context.Background(), operator, drone.Origin{}, 1, "web:bob"); err != nil {
		t.Fatal(err)
	}
	bob.get("/incidents/1").must(t, http.StatusOK, "Payroll")
	// The declare form's Visibility: carol, cleared to GREEN, declares a
	// private GREEN incident, and sees it as its reporter; bob does not.
	carol := f.as("carol")
	page := carol.get("/declare")
	page.must(t, http.StatusOK, `data-testid="f-declare-private"`)
	key := regexpFind(t, page.body, `name="key" value="([^"]+)"`)
	carol.submit("/declare", url.Values{"key": {key}, "category": {"CAT1"}, "severity": {"3"}, "tlp": {"GREEN"}, "pap": {"AMBER"},
		"private": {"yes"}, "overview": {"Salary sheet mailed outside"}}).must(t, http.StatusSeeOther)
	if inc := f.incident(3); !inc.Private {
		t.Fatalf("declared %+v; want it private", inc)
	}
	carol.get("/incidents/3").must(t, http.StatusOK, "Salary sheet")
	bob.get("/incidents/3").must(t, http.StatusNotFound)
}

// TestPinnedMessageAtItsTime: a chat message put on the timeline shows at
// the time it was posted, in the order things happened, while the chain
// (and its check) keeps the order entries were recorded in.
func TestPinnedMessageAtItsTime(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{})
	posted := f.clock().Add(-3 * time.Hour).UTC().Truncate(time.Second)
	msg := drone.ChatMessage{Platform: "slack", Channel: "C1", ID: "1.000001", PostedAt: posted,
		Author: drone.Actor{Platform: "slack", ID: "U2", Name: "carol"}, Text: "first beacon <seen>"}
	if _, err := f.svc.PinMessage(context.Background(), operator, drone.Origin{Channel: "cli"}, 1, msg, drone.PinByAction); err != nil {
		t.Fatal(err)
	}
	page := f.as("alice").get("/incidents/1")
	at := posted.Format("2006-01-02T15:04:05Z07:00")
	page.must(t, http.StatusOK, "Hash chain verified", `data-kind="pinned"><time datetime="`+at+`">`, "first beacon &lt;seen&gt;")
	if first := strings.Index(page.body, `data-kind="pinned"`); first < 0 || first > strings.Index(page.body, `data-kind="declared"`) {
		t.Error("the message posted before the declaration is not shown first")
	}
}

// The incident page links the latest post-incident review, which opens
// under its own content policy; an incident above the user's clearance
// has no review for them either, and none drafted is a plain 404.
func TestReviewFromTheIncidentPage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{TLP: "RED", Overview: "Board member's mailbox"})
	alice, bob := f.as("alice"), f.as("bob")
	alice.get("/incidents/1").mustNot(t, `data-testid="review-link"`)
	alice.get("/incidents/1/review").must(t, http.StatusNotFound)
	for i, body := range []string{"first draft", "second draft <script>x</script>"} {
		html := "<!doctype html><html><body><h1>Review</h1><p>" + template.HTMLEscapeString(body) + "</p></body></html>"
		if _, err := f.svc.SaveReview(context.Background(), operator, drone.Origin{}, 1, "# Review", html); err != nil {
			t.Fatalf("draft %d: %v", i+1, err)
		}
	}
	alice.get("/incidents/1").must(t, http.StatusOK, `data-testid="review-link"`, "Post-incident review (v2)")
	res := alice.get("/incidents/1/review")
	res.must(t, http.StatusOK, "second draft &lt;script&gt;")
	if csp := res.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") {
		t.Errorf("the review's policy: %q", csp)
	}
	bob.get("/incidents/1/review").must(t, http.StatusNotFound)
}

// actions returns the follow-up actions of incident n.
func (f *fixture) actions(n int64) []*drone.FollowUp {
	f.t.Helper()
	list, err := f.svc.FollowUps(context.Background(), drone.FollowUpFilter{IncidentID: f.incident(n).ID})
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

func (f *fixture) action(number int64) *drone.FollowUp {
	f.t.Helper()
	ac, err := f.svc.FollowUp(context.Background(), number)
	if err != nil {
		f.t.Fatal(err)
	}
	return ac
}

// mustRedirect fails unless the response sends the browser to location.
func (r response) mustRedirect(t *testing.T, location string) {
	t.Helper()
	if r.status != http.StatusSeeOther || r.header.Get("Location") != location {
		t.Fatalf("status %d to %q, want 303 to %q\n%s", r.status, r.header.Get("Location"), location, r.body)
	}
}

// Roles are handed and released, and someone let into a private
// incident, from the incident page, by those whose roles allow it.
func TestRoleAndGrantForms(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{TLP: "AMBER", Private: true, Overview: "Payroll export leaked"})
	f.declare(drone.DeclareInput{TLP: "AMBER", Overview: "Phishing wave"})
	f.declare(drone.DeclareInput{TLP: "RED", Overview: "Board member's mailbox"})
	alice, bob, carol := f.as("alice"), f.as("bob"), f.as("carol")

	page := alice.get("/incidents/2")
	page.must(t, http.StatusOK, `data-testid="form-role"`, `<option value="communications">Communications</option>`,
		`<option value="legal">Legal / DPO</option>`, `<datalist id="people">`, `<option value="web:bob" label="Bob">`)
	page.mustNot(t, `data-testid="form-grant"`) // not private: everyone cleared sees it
	alice.get("/incidents/1").must(t, http.StatusOK, `data-testid="form-grant"`)

	// Bob may see INC-2 but not hand its roles: no form, and refused.
	page = bob.get("/incidents/2")
	page.must(t, http.StatusOK)
	page.mustNot(t, `data-testid="form-role"`, `data-testid="people"`, `<datalist id="people">`)
	bob.submit("/incidents/2/role", url.Values{"role": {"scribe"}, "person": {"bob"}}).must(t, http.StatusForbidden, "you may not lead")
	// Without the form's token: refused.
	alice.post("/incidents/2/role", url.Values{"role": {"scribe"}, "person": {"bob"}}).must(t, http.StatusForbidden)
	if roles := f.incident(2).RoleLine(); roles != "" {
		t.Fatalf("refused forms handed roles: %s", roles)
	}
	if n := kinds(f.timeline(2), drone.EntryDenied); n != 1 {
		t.Fatalf("%d denied attempts recorded, want bob's one", n)
	}

	// A mistake comes back beside the form with what was typed.
	alice.submit("/incidents/2/role", url.Values{"role": {"jester"}, "person": {"dana"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-role"`, `unknown role &#34;jester&#34;`, `value="dana"`)
	alice.submit("/incidents/2/role", url.Values{"role": {"scribe"}, "person": {"none"}}).
		must(t, http.StatusConflict, `data-testid="error-role"`, "already has no scribe")

	alice.submit("/incidents/2/role", url.Values{"role": {"comms"}, "person": {"Bob"}}).mustRedirect(t, "/incidents/2#inc-people")
	alice.submit("/incidents/2/role", url.Values{"role": {"legal"}, "person": {"slack:U024BE7LH"}}).mustRedirect(t, "/incidents/2#inc-people")
	if inc := f.incident(2); inc.Holder(drone.RoleCommunications) != "web:bob" || inc.Holder(drone.RoleLegal) != "slack:U024BE7LH" {
		t.Fatalf("roles %v", inc.Roles)
	}
	alice.get("/incidents/2").must(t, http.StatusOK, "Communications: web:bob", `data-testid="release-communications"`)
	alice.submit("/incidents/2/role", url.Values{"role": {"communications"}, "person": {"none"}}).mustRedirect(t, "/incidents/2#inc-people")
	if h := f.incident(2).Holder(drone.RoleCommunications); h != "" {
		t.Fatalf("communications still held by %q", h)
	}

	// Above one's clearance the incident does not exist, to post to either.
	carol.submit("/incidents/3/role", url.Values{"role": {"scribe"}, "person": {"carol"}}).must(t, http.StatusNotFound)
	bob.submit("/incidents/1/grant", url.Values{"person": {"bob"}}).must(t, http.StatusNotFound)
	if roles := f.incident(3).RoleLine(); roles != "" {
		t.Fatalf("a 404 handed a role: %s", roles)
	}

	// Letting bob into the private INC-1.
	bob.get("/incidents/1").must(t, http.StatusNotFound)
	alice.submit("/incidents/1/grant", url.Values{"person": {""}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-grant"`, "name the person")
	alice.submit("/incidents/1/grant", url.Values{"person": {"bob"}}).mustRedirect(t, "/incidents/1#inc-people")
	bob.get("/incidents/1").must(t, http.StatusOK, "Payroll")
	alice.submit("/incidents/1/grant", url.Values{"person": {"web:bob"}}).
		must(t, http.StatusConflict, "already one of the people of INC-1", `value="web:bob"`)
	// Bob is in, but letting others in is still not his to do.
	bob.submit("/incidents/1/grant", url.Values{"person": {"web:carol"}}).must(t, http.StatusForbidden)
	if got := f.incident(1).GrantedMembers(); len(got) != 1 || got[0] != "web:bob" {
		t.Fatalf("granted %v", got)
	}
}

// Follow-up actions are added, marked done, reopened and cancelled from
// the incident page; the owner marks their own done without the
// permission to update incidents; a cancel says why.
func TestFollowUpActionForms(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{TLP: "AMBER"})
	f.declare(drone.DeclareInput{TLP: "AMBER"})
	f.declare(drone.DeclareInput{TLP: "RED"})
	alice, bob := f.as("alice"), f.as("bob")
	alice.get("/incidents/1").must(t, http.StatusOK, `data-testid="form-action"`, "No follow-up action yet.")
	bob.get("/incidents/1").mustNot(t, `data-testid="form-action"`)

	// Mistakes come back with what was typed; nothing is stored.
	alice.submit("/incidents/1/actions", url.Values{"text": {"Rotate the VPN keys"}, "owner": {"bob"}, "due": {"someday"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-action"`, `is not a date`, `value="Rotate the VPN keys"`,
			`value="someday"`, `value="bob"`)
	alice.submit("/incidents/1/actions", url.Values{"text": {"  "}, "due": {"in 3d"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-action"`, "say what the action is", `value="in 3d"`)
	bob.submit("/incidents/1/actions", url.Values{"text": {"Rotate the VPN keys"}}).must(t, http.StatusForbidden)
	alice.post("/incidents/1/actions", url.Values{"text": {"Rotate the VPN keys"}}).must(t, http.StatusForbidden)
	if n := len(f.actions(1)); n != 0 {
		t.Fatalf("%d actions after refused forms", n)
	}

	alice.submit("/incidents/1/actions", url.Values{"text": {"Rotate the VPN keys"}, "owner": {"bob"}, "due": {"in 3d"}}).
		mustRedirect(t, "/incidents/1#inc-followups")
	alice.submit("/incidents/1/actions", url.Values{"text": {"Review the mail filter"}, "owner": {"web:alice"}, "due": {"2026-12-20"}}).
		mustRedirect(t, "/incidents/1#inc-followups")
	ac := f.action(1)
	if ac.Text != "Rotate the VPN keys" || ac.Owner != "web:bob" || ac.Due == nil || !ac.Due.Equal(f.clock().Add(72*time.Hour)) {
		t.Fatalf("added %+v", ac)
	}
	if due := f.action(2).Due; due == nil || due.Format(time.DateTime) != "2026-12-20 23:59:59" {
		t.Fatalf("due %v", due)
	}

	// Bob owns ACT-1: he may mark it done and reopen it, not cancel it,
	// and nothing of ACT-2.
	page := bob.get("/incidents/1")
	page.must(t, http.StatusOK, `action="/incidents/1/actions/1/done"`)
	page.mustNot(t, `action="/incidents/1/actions/2/done"`, `action="/incidents/1/actions/1/cancel"`)
	bob.submit("/incidents/1/actions/2/done", nil).must(t, http.StatusForbidden)
	bob.submit("/incidents/1/actions/1/cancel", url.Values{"reason": {"not needed"}}).must(t, http.StatusForbidden)
	bob.submit("/incidents/1/actions/1/cancel", nil).must(t, http.StatusForbidden) // refused for his role, not the reason
	if f.action(1).Status != drone.ActionOpen || f.action(2).Status != drone.ActionOpen {
		t.Fatal("refused changes changed an action")
	}
	bob.submit("/incidents/1/actions/1/done", nil).mustRedirect(t, "/incidents/1#inc-followups")
	if st := f.action(1).Status; st != drone.ActionDone {
		t.Fatalf("ACT-1 %s after its owner marked it done", st)
	}
	bob.get("/incidents/1").must(t, http.StatusOK, `action="/incidents/1/actions/1/reopen"`)
	bob.submit("/incidents/1/actions/1/reopen", nil).mustRedirect(t, "/incidents/1#inc-followups")
	if st := f.action(1).Status; st != drone.ActionOpen {
		t.Fatalf("ACT-1 %s after its owner reopened it", st)
	}

	// A cancel needs its reason; without its token it is refused.
	alice.submit("/incidents/1/actions/2/cancel", url.Values{"reason": {"  "}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-cancel"`, "Say why ACT-2 is cancelled.", `<details class="cancel" open>`)
	alice.post("/incidents/1/actions/2/cancel", url.Values{"reason": {"done elsewhere"}}).must(t, http.StatusForbidden)
	if st := f.action(2).Status; st != drone.ActionOpen {
		t.Fatalf("ACT-2 %s after refused cancels", st)
	}
	alice.submit("/incidents/1/actions/2/cancel", url.Values{"reason": {"the filter was replaced"}}).
		mustRedirect(t, "/incidents/1#inc-followups")
	if ac := f.action(2); ac.Status != drone.ActionCancelled || ac.Note != "the filter was replaced" {
		t.Fatalf("ACT-2 %s (%q)", ac.Status, ac.Note)
	}
	alice.get("/incidents/1").must(t, http.StatusOK, `data-testid="followup-note">the filter was replaced`)

	// An action is changed on its own incident's page only; unknown verbs
	// and actions are not found.
	alice.submit("/incidents/2/actions/1/done", nil).must(t, http.StatusNotFound)
	alice.submit("/incidents/1/actions/1/finish", nil).must(t, http.StatusNotFound)
	alice.submit("/incidents/1/actions/99/done", nil).must(t, http.StatusNotFound)
	alice.submit("/incidents/1/actions/x/done", nil).must(t, http.StatusNotFound)
	if st := f.action(1).Status; st != drone.ActionOpen {
		t.Fatalf("ACT-1 %s after posts to wrong addresses", st)
	}

	// Above bob's clearance his own action does not exist for him.
	red, err := f.svc.AddFollowUp(context.Background(), operator, drone.Origin{}, 3, drone.FollowUpInput{Text: "Tell the board", Owner: "web:bob"})
	if err != nil {
		t.Fatal(err)
	}
	bob.submit("/incidents/3/actions/"+strconv.FormatInt(red.Number, 10)+"/done", nil).must(t, http.StatusNotFound)
	bob.submit("/incidents/3/actions", url.Values{"text": {"x"}}).must(t, http.StatusNotFound)
	if st := f.action(red.Number).Status; st != drone.ActionOpen || len(f.actions(3)) != 1 {
		t.Fatalf("a 404 changed the RED incident's actions (%s)", st)
	}

	// Actions outlive their incident: on a closed one the forms stay.
	if _, err := f.svc.Close(context.Background(), operator, drone.Origin{}, 1,
		drone.CloseInput{Resolution: "TruePositive", Impact: "NoImpact", Summary: "done"}); err != nil {
		t.Fatal(err)
	}
	page = alice.get("/incidents/1")
	page.must(t, http.StatusOK, `data-testid="form-action"`, `action="/incidents/1/actions/1/done"`)
	bob.get("/incidents/1").must(t, http.StatusOK, `action="/incidents/1/actions/1/done"`)
	alice.submit("/incidents/1/actions", url.Values{"text": {"Write the lessons learnt"}}).mustRedirect(t, "/incidents/1#inc-followups")
	bob.submit("/incidents/1/actions/1/done", nil).mustRedirect(t, "/incidents/1#inc-followups")
	if n, st := len(f.actions(1)), f.action(1).Status; n != 3 || st != drone.ActionDone {
		t.Fatalf("on the closed incident: %d actions, ACT-1 %s", n, st)
	}
}

// The next update is snoozed from the incident page, with a reason, by
// those who may update incidents, while it is open.
func TestSnoozeForm(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.declare(drone.DeclareInput{TLP: "AMBER"})
	alice, bob, carol := f.as("alice"), f.as("bob"), f.as("carol")
	alice.get("/incidents/1").mustNot(t, `data-testid="form-snooze"`) // no update due before the acknowledgement
	alice.submit("/incidents/1/ack", nil).must(t, http.StatusSeeOther)
	due := *f.incident(1).NextUpdateDue
	alice.get("/incidents/1").must(t, http.StatusOK, `data-testid="form-snooze"`, `<datalist id="snooze-choices">`)
	bob.get("/incidents/1").mustNot(t, `data-testid="form-snooze"`)

	alice.submit("/incidents/1/snooze", url.Values{"for": {"soon"}, "reason": {"waiting for the vendor"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-snooze"`, "is not a duration such as 45m or 2h",
			`value="soon"`, `value="waiting for the vendor"`)
	alice.submit("/incidents/1/snooze", url.Values{"for": {"1h"}, "reason": {" "}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-snooze"`, "say why the update waits", `value="1h"`)
	alice.submit("/incidents/1/snooze", url.Values{"for": {"30d"}, "reason": {"holiday"}}).
		must(t, http.StatusUnprocessableEntity, `data-testid="error-snooze"`)
	bob.submit("/incidents/1/snooze", url.Values{"for": {"1h"}, "reason": {"waiting for the vendor"}}).must(t, http.StatusForbidden)
	alice.post("/incidents/1/snooze", url.Values{"for": {"1h"}, "reason": {"waiting for the vendor"}}).must(t, http.StatusForbidden)
	carol.submit("/incidents/1/snooze", url.Values{"for": {"1h"}, "reason": {"waiting for the vendor"}}).must(t, http.StatusNotFound)
	if next := f.incident(1).NextUpdateDue; next == nil || !next.Equal(due) {
		t.Fatalf("refused snoozes moved the next update from %v to %v", due, next)
	}

	f.advance(10 * time.Minute)
	alice.submit("/incidents/1/snooze", url.Values{"for": {"2h"}, "reason": {"waiting for the vendor"}}).mustRedirect(t, "/incidents/1")
	if next := f.incident(1).NextUpdateDue; next == nil || !next.Equal(f.clock().Add(2*time.Hour)) {
		t.Fatalf("next update %v, want 2h from now", next)
	}
	alice.get("/incidents/1").must(t, http.StatusOK, "waiting for the vendor")

	// Closed, nothing is due: no form, and the service refuses.
	if _, err := f.svc.Close(context.Background(), operator, drone.Origin{}, 1,
		drone.CloseInput{Resolution: "TruePositive", Impact: "NoImpact", Summary: "done"}); err != nil {
		t.Fatal(err)
	}
	alice.get("/incidents/1").mustNot(t, `data-testid="form-snooze"`)
	alice.submit("/incidents/1/snooze", url.Values{"for": {"1h"}, "reason": {"x"}}).
		must(t, http.StatusConflict, `data-testid="action-message"`, "no update is due")
}
