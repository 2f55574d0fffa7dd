package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/web/browsertest"
	"github.com/ttp0/drone/web/oidctest"
)

// Passwords of the accounts the tests make (12 characters at least).
const (
	adminPassword = "correct horse battery"
	adaPassword   = "analytical engine 1843"
	bobPassword   = "amber only, please"
)

// by is the CSS selector of the element with data-testid id.
func by(id string) string { return `[data-testid="` + id + `"]` }

// admin creates the first administrator through the one-time set-up link
// that drone serve printed, and returns the tab, signed in as "admin".
func (c *console) admin() *browsertest.Page {
	c.t.Helper()
	if c.setup == "" {
		c.t.Fatal("drone serve printed no set-up link")
	}
	p := browsertest.New(c.t)
	p.Navigate(c.setup)
	p.Fill(by("setup-name"), "admin")
	p.Fill(by("setup-display"), "Ada Admin")
	p.Fill(by("setup-password"), adminPassword)
	p.Fill(by("setup-confirm"), adminPassword)
	p.Submit(by("setup-submit"))
	p.WaitText("h1", "Incidents")
	return p
}

// addAccount adds an account on the Accounts page as the signed-in
// administrator p.
func (c *console) addAccount(p *browsertest.Page, name, password, roles, clearance string) {
	c.t.Helper()
	p.Navigate(c.base + "/accounts")
	p.Fill(by("acc-name"), name)
	p.Fill(by("acc-password"), password)
	p.Fill(by("acc-roles"), roles)
	p.Fill(by("acc-clearance"), clearance)
	p.Submit(by("submit-account"))
	p.WaitText(by("account-added"), name)
}

// signIn signs name in on a fresh tab and returns it on the board.
func (c *console) signIn(name, password string) *browsertest.Page {
	c.t.Helper()
	p := browsertest.New(c.t)
	p.Navigate(c.base + "/signin")
	p.Fill(by("signin-name"), name)
	p.Fill(by("signin-password"), password)
	p.Submit(by("signin-submit"))
	p.WaitText("h1", "Incidents")
	return p
}

// declare declares an incident from the command line and returns its ref.
func (c *console) declare(args ...string) string {
	c.t.Helper()
	out := strings.TrimSpace(c.drone(append([]string{"declare"}, args...)...))
	ref := regexp.MustCompile(`INC-\d+`).FindString(out)
	if ref == "" {
		c.t.Fatalf("drone declare printed %q", out)
	}
	return ref
}

// reloadUntil opens url until the text of sel holds want (ignoring case),
// for a page that is not live; it reports whether it came within 10s.
func reloadUntil(p *browsertest.Page, url, sel, want string) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		p.Navigate(url)
		if strings.Contains(strings.ToLower(p.Text(sel)), strings.ToLower(want)) {
			return true
		}
	}
	return false
}

func TestSetupLinkCreatesTheFirstAdministratorOnce(t *testing.T) {
	t.Parallel()
	c := start(t)
	p := browsertest.New(t)
	p.Navigate(c.setup)
	p.Screenshot("setup")
	// Mistakes come back beside their fields; no account is made.
	p.Fill(by("setup-name"), "Admin Person")
	p.Fill(by("setup-password"), "short")
	p.Fill(by("setup-confirm"), "different")
	if status := p.Submit(by("setup-submit")); status != http.StatusUnprocessableEntity {
		t.Errorf("set-up with mistakes answered %d", status)
	}
	p.WaitVisible(by("error-name"))
	p.WaitVisible(by("error-password"))
	p.Screenshot("setup-errors")

	p.Fill(by("setup-name"), "admin")
	p.Fill(by("setup-password"), adminPassword)
	p.Fill(by("setup-confirm"), adminPassword)
	p.Submit(by("setup-submit"))
	p.WaitText("h1", "Incidents")
	if got := p.Text(by("account")); !strings.Contains(got, "admin") {
		t.Errorf("signed in as %q", got)
	}
	p.WaitVisible(by("board-empty"))
	p.Screenshot("board-empty")

	// The link is spent.
	other := browsertest.New(t)
	other.AllowConsole(`status of 4\d\d`)
	if status := other.Navigate(c.setup); status < 400 {
		t.Errorf("the set-up link works twice: %d", status)
	}
	if other.Exists(by("setup-submit")) {
		t.Error("a spent set-up link still shows the form")
	}
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	c := start(t)
	admin := c.admin()
	c.addAccount(admin, "ada", adaPassword, "responders", "AMBER")

	p := browsertest.New(t)
	p.AllowConsole(`status of 401`)
	// Every page but sign-in sends a stranger to sign in.
	p.Navigate(c.base + "/measures")
	if !strings.Contains(p.URL(), "/signin") {
		t.Fatalf("a stranger reached %s", p.URL())
	}
	p.Screenshot("signin")
	p.Fill(by("signin-name"), "ada")
	p.Fill(by("signin-password"), "not her password")
	if status := p.Submit(by("signin-submit")); status != http.StatusUnauthorized {
		t.Errorf("a wrong password answered %d", status)
	}
	p.WaitText(by("signin-error"), "Wrong name or password")
	p.Screenshot("signin-refused")

	p.Fill(by("signin-password"), adaPassword)
	p.Submit(by("signin-submit"))
	// Back where she wanted to go.
	p.WaitText("h1", "Measures")
	if got := p.Text(by("account")); !strings.Contains(got, "ada") {
		t.Errorf("signed in as %q", got)
	}
	if p.Exists(by("nav-queue")) {
		t.Error("a responder sees the admin's Queue link")
	}
}

func TestDeclareFromTheForm(t *testing.T) {
	t.Parallel()
	c := start(t)
	p := c.admin()
	p.Click(by("declare-link"))
	p.WaitText("h1", "Declare an incident")
	p.Fill(by("f-declare-category"), "CAT1")
	p.Fill(by("f-declare-subcontext"), "Phishing")
	p.Fill(by("f-declare-severity"), "3")
	p.Fill(by("f-declare-tlp"), "AMBER")
	p.Fill(by("f-declare-indicators"), "hxxps://login-examp1e[.]com/o365 and 203.0.113.7, agent 1.2.3.4.5")
	// No overview: the form comes back with the message beside the field.
	if status := p.Submit(by("submit-declare")); status != http.StatusUnprocessableEntity {
		t.Errorf("declare without an overview answered %d", status)
	}
	msg := p.Text(by("error-overview"))
	if msg == "" {
		t.Error("no message beside the overview")
	}
	// Beside the field: inside the overview's own field box.
	if !p.Exists(`[data-field="overview"] ` + by("error-overview")) {
		t.Error("the overview's message is not beside the overview")
	}
	// What was filled in is still there.
	if got := p.Attr(by("f-declare-category")+" option:checked", "value"); got != "CAT1" {
		t.Errorf("category came back as %q", got)
	}
	p.Screenshot("declare-error")
	if out := c.drone("incident", "list", "--json"); strings.Contains(out, "INC-") {
		t.Fatalf("a refused declaration was stored: %s", out)
	}

	p.Fill(by("f-declare-overview"), "Credential phishing wave against finance")
	p.Submit(by("submit-declare"))
	ref := p.Text(by("declared-ref"))
	if ref != "INC-1" {
		t.Errorf("declared %q", ref)
	}
	// A rejected candidate is shown with its reason on the way.
	p.WaitVisible(by("added"))
	if got := p.Text(by("rejected")); !strings.Contains(got, "1.2.3.4.5") {
		t.Errorf("the declared page rejected %q", got)
	}
	p.Screenshot("declared")
	// The added and rejected tables read as one: their second columns start at the same place.
	if got := p.Eval(`(() => {
		const x = id => document.querySelector('[data-testid="' + id + '"] th:nth-child(2)').getBoundingClientRect().left;
		return Math.abs(x("added") - x("rejected")) < 1 ? "aligned" : "added at " + x("added") + ", rejected at " + x("rejected");
	})()`); got != "aligned" {
		t.Errorf("the declared page's tables do not align: %s", got)
	}

	p.Navigate(c.base + "/")
	row := `[data-testid="incident-row"][data-ref="INC-1"]`
	p.WaitVisible(row)
	got := strings.ToLower(p.Text(row))
	for _, want := range []string{"INC-1", "HIGH", "open", "TLP:AMBER", "[ CAT1 HIGH ] Intrusion - Phishing"} {
		if !strings.Contains(got, strings.ToLower(want)) {
			t.Errorf("the board's row %q lacks %q", got, want)
		}
	}
	p.Screenshot("board")
}

func TestActOnAnIncident(t *testing.T) {
	t.Parallel()
	c := start(t)
	ref := c.declare("--category", "CAT1", "--subcontext", "phishing", "--severity", "high",
		"--overview", "Credential phishing wave", "--iocs", "203.0.113.7")
	p := c.admin()
	p.Navigate(c.base + "/incidents/" + strings.TrimPrefix(ref, "INC-"))
	p.WaitText(by("incident-status"), "open")
	p.WaitText(by("chain-state"), "verified")

	p.Submit(by("action-ack"))
	p.WaitText(by("incident-status"), "acknowledged")
	p.WaitText(by("incident-lead"), "admin")

	// Indicators: the preview shows what would be added and what is
	// rejected, with the reason, before anything is saved.
	p.Fill(by("ioc-text"), "beacon to evil-cdn[.]net from 10.0.0.8, version 1.2.3.4.5, and 203.0.113.7 again")
	p.Submit(by("action-ioc-preview"))
	p.WaitVisible(by("ioc-preview"))
	found := p.Text(by("preview-found"))
	if !strings.Contains(found, "evil-cdn[.]net") {
		t.Errorf("the preview found %q", found)
	}
	rejected := p.Text(by("preview-rejected"))
	if !strings.Contains(rejected, "1.2.3.4.5") {
		t.Errorf("the preview rejected %q", rejected)
	}
	p.Screenshot("incident-ioc-preview")
	if n := len(p.Texts(by("observable-row"))); n != 1 {
		t.Errorf("the preview saved something: %d indicators", n)
	}
	p.Submit(by("action-ioc-save"))
	p.WaitText(by("observables"), "evil-cdn[.]net")

	p.Fill(by("f-status-status"), "contained")
	p.Fill(by("f-status-summary"), "Mail purged, domain blocked")
	p.Fill(by("f-status-next_update"), "2h")
	p.Submit(by("submit-status"))
	p.WaitText(by("incident-status"), "contained")
	p.WaitText(by("incident-summary"), "Mail purged")
	p.Screenshot("incident")

	p.Fill(by("f-close-resolution"), "TruePositive")
	p.Fill(by("f-close-impact"), "NoImpact")
	p.Fill(by("f-close-summary"), "5 users reset")
	p.Submit(by("submit-close"))
	p.WaitText(by("incident-status"), "closed")
	p.WaitText(by("chain-state"), "verified")
	// A follow-up action outlives the incident: the page lists it.
	if out := c.drone("action", "add", ref, "Enforce MFA on the VPN", "--owner", "web:admin", "--due", "2026-12-20"); out != "ACT-1 open\n" {
		t.Errorf("drone action add printed %q", out)
	}
	p.Navigate(c.base + "/incidents/" + strings.TrimPrefix(ref, "INC-"))
	p.WaitText(by("followups"), "Enforce MFA on the VPN")
	p.Screenshot("incident-closed")
	// drone serve drafted the review on closing: the page links it.
	p.WaitVisible(by("review-link"))
	p.Click(by("review-link"))
	p.WaitText("h1", "Post-incident review: "+ref)
	p.WaitText("body", "Outcome: 5 users reset") // drafted on closing, before the action
	p.Screenshot("review")
	p.Navigate(c.base + "/incidents/" + strings.TrimPrefix(ref, "INC-"))

	// The command line sees what the browser did.
	out := c.drone("incident", "show", ref)
	for _, want := range []string{"closed", "evil-cdn", "TruePositive"} {
		if !strings.Contains(out, want) {
			t.Errorf("drone incident show lacks %q:\n%s", want, out)
		}
	}
	c.drone("incident", "verify", ref)
}

// The incident page's forms of people, follow-up actions and the next
// update: a role handed, actions added (a mistake first) and marked done
// or cancelled with a reason, the update snoozed; the command line sees
// what the browser did.
func TestIncidentForms(t *testing.T) {
	t.Parallel()
	c := start(t)
	ref := c.declare("--category", "CAT1", "--subcontext", "phishing", "--severity", "high",
		"--overview", "Credential phishing wave")
	page := c.base + "/incidents/" + strings.TrimPrefix(ref, "INC-")
	p := c.admin()
	p.Navigate(page)
	p.Submit(by("action-ack"))
	p.WaitText(by("incident-status"), "acknowledged")

	p.Fill(by("role-select"), "communications")
	p.Fill(by("role-person"), "slack:U024BE7LH")
	p.Submit(by("action-role"))
	p.WaitText(by("incident-roles"), "Communications: slack:U024BE7LH")
	p.WaitVisible(by("release-communications"))

	// A mistake comes back beside the form, with what was typed.
	p.Fill(by("action-text"), "Enforce MFA on the VPN")
	p.Fill(by("action-owner"), "admin")
	p.Fill(by("action-due"), "someday")
	p.Submit(by("action-add"))
	p.WaitText(by("error-action"), "not a date")
	if v := p.Attr(by("action-text"), "value"); v != "Enforce MFA on the VPN" {
		t.Errorf("the form came back with %q", v)
	}
	p.Fill(by("action-due"), "in 3d")
	p.Submit(by("action-add"))
	p.WaitText(by("followup-table"), "Enforce MFA on the VPN")
	for _, text := range []string{"Reset the phished users' passwords", "Block the sender domain at the gateway"} {
		p.Fill(by("action-text"), text)
		p.Fill(by("action-owner"), "admin")
		p.Fill(by("action-due"), "in 2w")
		p.Submit(by("action-add"))
		p.WaitText(by("followup-table"), text)
	}
	p.Submit(`[data-action="ACT-2"] ` + by("action-done"))
	p.WaitVisible(`[data-action="ACT-2"] ` + by("action-reopen-act"))
	p.Click(`[data-action="ACT-3"] ` + by("cancel-open"))
	p.Submit(`[data-action="ACT-3"] ` + by("action-cancel"))
	p.WaitText(by("error-cancel"), "Say why ACT-3 is cancelled")
	p.Screenshot("incident-forms-cancel-refused")
	p.Fill(`[data-action="ACT-3"] `+by("cancel-reason"), "the mail provider blocked it first")
	p.Submit(`[data-action="ACT-3"] ` + by("action-cancel"))
	p.WaitText(by("followup-note"), "the mail provider blocked it first")

	p.Fill(by("snooze-for"), "1h")
	p.Fill(by("snooze-reason"), "waiting for the mail provider's logs")
	p.Submit(by("action-snooze"))
	p.WaitText(by("timeline"), "snoozed the update reminders")
	if next := p.Text(by("incident-next-update")); !regexp.MustCompile(`\(in (59m|1h)`).MatchString(next) {
		t.Errorf("next update %q, want in an hour", next)
	}
	p.Screenshot("incident-forms")

	// A cancel's reason half typed stays, in sight, through a change made
	// elsewhere.
	p.Click(`[data-action="ACT-1"] ` + by("cancel-open"))
	p.Fill(`[data-action="ACT-1"] `+by("cancel-reason"), "half typed")
	c.drone("action", "add", ref, "Tell the users what to look for")
	p.WaitText(by("followup-table"), "Tell the users what to look for")
	kept := p.Eval(`(() => { const d = document.querySelector('[data-action="ACT-1"] details');
		return d.open + " " + d.querySelector("input[name=reason]").value; })()`)
	if kept != "true half typed" {
		t.Errorf("after a live update the cancel form is %q, want it open with what was typed", kept)
	}

	out := c.drone("incident", "show", ref)
	for _, want := range []string{"slack:U024BE7LH", "ACT-1", "Enforce MFA on the VPN", "done", "cancelled"} {
		if !strings.Contains(out, want) {
			t.Errorf("drone incident show lacks %q:\n%s", want, out)
		}
	}
	c.drone("incident", "verify", ref)
}

func TestIncidentPageUpdatesLive(t *testing.T) {
	t.Parallel()
	c := start(t)
	ref := c.declare("--category", "CAT1", "--severity", "high", "--overview", "Live wire")
	p := c.admin()
	p.Navigate(c.base + "/incidents/" + strings.TrimPrefix(ref, "INC-"))
	p.WaitText(by("incident-status"), "open")
	p.WaitVisible(by("live-state"))
	// A mark on the page that a reload would wipe.
	p.Eval(`window.__notReloaded = true, "marked"`)
	// A summary half typed, which live updates must keep.
	p.Fill(by("f-status-summary"), "half-typed summary")

	// Someone else acts from the command line, outside the browser.
	c.drone("ack", ref)
	p.WaitText(by("incident-status"), "acknowledged")
	c.drone("status", ref, "--set", "contained", "mail purged from the terminal")
	c.droneIn("beacon to live-update[.]net from the shell", "ioc", "add", ref)

	p.WaitText(by("incident-status"), "contained")
	p.WaitText(by("incident-summary"), "mail purged from the terminal")
	p.WaitText(by("observables"), "live-update[.]net")
	p.WaitText(by("timeline"), "mail purged from the terminal")
	if p.Eval(`window.__notReloaded === true ? "yes" : "no"`) != "yes" {
		t.Error("the page reloaded instead of updating in place")
	}
	// The status form offers what the incident allows now: no step back to
	// acknowledged once it is contained; what was typed stays.
	choices := `[...document.querySelector('[data-testid="f-status-status"]').options].map(o => o.value).join(",")`
	if !waitEval(p, choices, func(s string) bool { return !strings.Contains(s, "acknowledged") && strings.Contains(s, "resolved") }) {
		t.Errorf("the status form still offers %s after the incident was contained", p.Eval(choices))
	}
	if got := p.Eval(`document.querySelector('[data-testid="f-status-summary"]').value`); got != "half-typed summary" {
		t.Errorf("the live update lost what was typed: %q", got)
	}
	p.Screenshot("incident-live")
}

// A page the console drew in answer to a form (an indicator preview, a
// form with mistakes) lives at the form's address; it must keep following
// changes too.
func TestIncidentPageUpdatesLiveAfterAPreview(t *testing.T) {
	t.Parallel()
	c := start(t)
	ref := c.declare("--category", "CAT1", "--severity", "high", "--overview", "Live wire")
	p := c.admin()
	p.Navigate(c.base + "/incidents/" + strings.TrimPrefix(ref, "INC-"))
	p.Fill(by("ioc-text"), "evil-cdn[.]net")
	p.Submit(by("action-ioc-preview"))
	p.WaitVisible(by("ioc-preview"))
	p.WaitVisible(by("live-state"))

	c.drone("status", ref, "--set", "contained", "contained while you looked")
	p.WaitText(by("incident-status"), "contained")
	p.WaitText(by("timeline"), "contained while you looked")
	// The preview the person was reading stays.
	p.WaitVisible(by("ioc-preview"))
}

func TestEvidenceExport(t *testing.T) {
	t.Parallel()
	c := start(t)
	ref := c.declare("--category", "CAT1", "--severity", "high", "--overview", "Export me",
		"--iocs", "203.0.113.7 evil-cdn[.]net")
	c.drone("ack", ref)
	p := c.admin()
	p.Navigate(c.base + "/incidents/" + strings.TrimPrefix(ref, "INC-"))
	path, name := p.Download(by("export-link"))
	if !strings.HasSuffix(name, ".json") {
		t.Errorf("the export is named %q", name)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var export map[string]any
	if err := json.Unmarshal(raw, &export); err != nil {
		t.Fatalf("the export is no JSON: %v\n%.500s", err, raw)
	}
	text := string(raw)
	for _, want := range []string{ref, "203.0.113.7", "evil-cdn", "Export me"} {
		if !strings.Contains(text, want) {
			t.Errorf("the export lacks %q", want)
		}
	}
	// The same file the command line writes, chain included.
	cli := c.drone("incident", "export", ref)
	var fromCLI map[string]any
	if err := json.Unmarshal([]byte(cli), &fromCLI); err != nil {
		t.Fatalf("drone incident export: %v", err)
	}
	for k := range fromCLI {
		if _, ok := export[k]; !ok {
			t.Errorf("the console's export lacks %q, which the command line's has", k)
		}
	}
}

func TestRedIncidentsAreInvisibleWithoutClearance(t *testing.T) {
	t.Parallel()
	c := start(t)
	red := c.declare("--category", "CAT1", "--severity", "critical", "--tlp", "RED",
		"--overview", "Board member mailbox compromised", "--iocs", "198.51.100.66")
	amber := c.declare("--category", "CAT1", "--severity", "high", "--tlp", "AMBER",
		"--overview", "Ordinary phishing")
	admin := c.admin()
	c.droneIn(bobPassword+"\n", "user", "add", "bob", "--role", "responders", "--clearance", "AMBER")

	// The administrator (clearance RED) sees it.
	admin.Navigate(c.base + "/")
	admin.WaitVisible(`[data-ref="` + red + `"]`)

	p := c.signIn("bob", bobPassword)
	p.AllowConsole(`status of 404`)
	n := strings.TrimPrefix(red, "INC-")
	for _, path := range []string{"/incidents/" + n, "/leaders/" + n} {
		if status := p.Navigate(c.base + path); status != http.StatusNotFound {
			t.Errorf("bob reached %s: %d", path, status)
		}
		if strings.Contains(p.Text("body"), "Board member") {
			t.Errorf("%s shows the RED incident to bob", path)
		}
	}
	p.Screenshot("red-404")
	// The export downloads rather than shows: ask for it from the page.
	if status, body := p.Fetch(c.base + "/incidents/" + n + "/export"); status != http.StatusNotFound || strings.Contains(body, "Board member") {
		t.Errorf("bob exported the RED incident: %d", status)
	}
	// Not on the board, not by search (words, ref or indicator).
	p.Navigate(c.base + "/")
	p.WaitVisible(`[data-ref="` + amber + `"]`)
	if p.Exists(`[data-ref="` + red + `"]`) {
		t.Error("the board lists the RED incident to bob")
	}
	for _, q := range []string{"Board member", red, "198.51.100.66"} {
		p.Navigate(c.base + "/?q=" + q)
		if body := p.Text("body"); strings.Contains(body, "Board member") || p.Exists(`[data-ref="`+red+`"]`) {
			t.Errorf("searching %q finds the RED incident for bob", q)
		}
	}
	// Not in the charts and figures: the RED incident is the only CRITICAL
	// one, acknowledged, so CRITICAL shows on the administrator's measures
	// and must not on bob's.
	c.drone("ack", red)
	// The console learns of the command line's change within its poll.
	if !reloadUntil(admin, c.base+"/measures?by=severity", "main", "CRITICAL") {
		t.Fatalf("the administrator's measures lack the CRITICAL incident:\n%s", admin.Text("main"))
	}
	p.Navigate(c.base + "/measures?by=severity")
	if got := p.Text("main"); strings.Contains(got, "CRITICAL") {
		t.Errorf("bob's measures count the RED incident:\n%s", got)
	}
	p.Screenshot("measures-amber")
	p.Navigate(c.base + "/leaders")
	if strings.Contains(p.Text("body"), "Board member") {
		t.Error("the leaders' view shows the RED incident to bob")
	}
}

func TestScreenshotsOfEveryPage(t *testing.T) {
	t.Parallel()
	c := start(t)
	for _, args := range [][]string{
		{"--category", "CAT1", "--subcontext", "phishing", "--severity", "high", "--overview", "Credential phishing wave",
			"--iocs", "hxxps://login-examp1e[.]com/o365 203.0.113.7"},
		{"--category", "CAT2", "--severity", "critical", "--tlp", "RED", "--overview", "Ransomware on a file server"},
		{"--category", "CAT1", "--severity", "low", "--overview", "Suspicious login from abroad"},
	} {
		c.declare(args...)
	}
	c.drone("ack", "INC-1")
	c.drone("status", "INC-1", "--set", "contained", "mail purged, domain blocked")
	c.drone("close", "INC-3", "--resolution", "FalsePositive", "--impact", "NoImpact", "the user was travelling")
	p := c.admin()
	for _, pg := range []struct{ path, heading, name string }{
		{"/", "Incidents", "board"},
		{"/?tab=closed", "Incidents", "board-closed"},
		{"/incidents/1", "", "incident"},
		{"/leaders", "", "leaders"},
		{"/leaders/1", "", "leader"},
		{"/measures", "Measures", "measures"},
		{"/tds", "", "tds"},
		{"/queue", "", "queue"},
		{"/accounts", "", "accounts"},
		{"/account", "", "account"},
	} {
		if status := p.Navigate(c.base + pg.path); status != http.StatusOK {
			t.Errorf("%s answered %d", pg.path, status)
		}
		if pg.heading != "" {
			p.WaitText("h1", pg.heading)
		}
		p.Screenshot("page-" + pg.name)
		p.CheckConsole()
	}
}

func TestThreatDrivenSecurityAssessment(t *testing.T) {
	t.Parallel()
	inv, err := filepath.Abs("../../configs/inventory.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := start(t, "tds: {inventory: "+strconv.Quote(inv)+"}\n")
	p := c.admin()
	p.Navigate(c.base + "/tds")
	p.WaitVisible(by("tds-assessment"))
	if n := len(p.Texts(by("tds-threat"))); n == 0 {
		t.Error("the assessment lists no threat")
	}
	p.Screenshot("page-tds-assessed")
	path, _ := p.Download(by("navigator-download"))
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var layer struct {
		Name       string `json:"name"`
		Domain     string `json:"domain"`
		Techniques []struct {
			TechniqueID string `json:"techniqueID"`
		} `json:"techniques"`
	}
	if err := json.Unmarshal(raw, &layer); err != nil {
		t.Fatalf("the Navigator layer is no JSON: %v\n%.300s", err, raw)
	}
	if layer.Domain == "" || len(layer.Techniques) == 0 {
		t.Errorf("the Navigator layer is empty: %.300s", raw)
	}
}

// Sign-in through an OpenID Connect provider (the stand-in of
// web/oidctest): the button leads to the provider, which sends the browser
// back signed in, on the board, with the roles and clearance its claims map to.
func TestSignInWithOpenIDConnect(t *testing.T) {
	t.Parallel()
	idp := oidctest.New(t, "drone-e2e", "e2e-client-secret")
	idp.SetClaims(map[string]any{"sub": "42", "preferred_username": "grace", "name": "Grace Hopper",
		"groups": []string{"soc", "everyone"}})
	c := start(t, fmt.Sprintf(`web:
  oidc:
    issuer: %s
    name: Example SSO
    client_id: drone-e2e
    client_secret: e2e-client-secret
    scopes: [profile, groups]
    roles: {soc: responders}
    clearances: {soc: AMBER}
`, idp.Issuer))
	p := browsertest.New(t)
	p.Navigate(c.base + "/measures")
	p.WaitText(by("signin-oidc"), "Sign in with Example SSO")
	p.Screenshot("signin-oidc")
	p.Click(by("signin-oidc"))
	p.WaitText("h1", "Measures") // back where she wanted to go
	if got := p.Text(by("account")); !strings.Contains(got, "Grace Hopper") {
		t.Errorf("signed in as %q", got)
	}
	p.Navigate(c.base + "/")
	p.WaitText("h1", "Incidents")
	p.Screenshot("board-after-oidc")
	out := c.drone("user", "list")
	if !strings.Contains(out, "grace") || !strings.Contains(out, "responders") || !strings.Contains(out, "AMBER") {
		t.Errorf("drone user list after the OIDC sign-in:\n%s", out)
	}
}

// waitEval evaluates js until ok accepts its value, for up to 10 seconds.
func waitEval(p *browsertest.Page, js string, ok func(string) bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok(p.Eval(js)) {
			return true
		}
	}
	return false
}
