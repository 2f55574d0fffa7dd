package config_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/config"
	"github.com/ttp0/drone/configs"
	"github.com/ttp0/drone/drone"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestExampleIsValid(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("configs/drone.yaml", configs.Example, env(map[string]string{"DRONE_HIVE_API_KEY": "k"}))
	if err != nil {
		t.Fatalf("example configuration has problems:\n%v", err)
	}
	if got := c.Framework.BusinessUnits; got[len(got)-1] != "VARIOUS" {
		t.Errorf("business units %v should end with VARIOUS", got)
	}
	if len(c.Framework.Categories) != 10 {
		t.Errorf("got %d categories, want the 10 defaults", len(c.Framework.Categories))
	}
}

func TestDefaultsNeedNoFile(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("", nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Database != "data/drone.db" || c.HTTP.Addr != "127.0.0.1:8080" {
		t.Errorf("defaults: database %q addr %q", c.Database, c.HTTP.Addr)
	}
}

func TestEveryProblemWithItsLine(t *testing.T) {
	t.Parallel()
	file := `organisation: X
zones: [A, B, a]
bussiness_units: [S]
framework:
  categories:
    - {code: CAT1, name: Intrusion, subcontexts: [Phishing]}
    - {code: cat1, name: Again}
roles:
  - name: responders
    permissions: [acknowledge, fly]
    members: []
internal:
  cidrs: [10.0.0.0/33]
defaults:
  tlp: PURPLE
http:
  addr: nope
`
	_, err := config.Parse("drone.yaml", []byte(file), env(nil))
	var probs drone.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("want Problems, got %v", err)
	}
	want := map[int]string{
		2:  `duplicate zone "a"`,
		3:  `unknown setting "bussiness_units"`,
		7:  `duplicate category "cat1"`,
		10: `unknown permission "fly"`,
		11: `role "responders" has no members`,
		13: `"10.0.0.0/33" is not a CIDR`,
		15: `unknown TLP "PURPLE"`,
		17: `must be HOST:PORT`,
	}
	for line, msg := range want {
		found := false
		for _, p := range probs {
			found = found || (p.Line == line && strings.Contains(p.Message, msg))
		}
		if !found {
			t.Errorf("no problem %q at line %d; got:\n%v", msg, line, err)
		}
	}
}

func TestBrokenYAML(t *testing.T) {
	t.Parallel()
	_, err := config.Parse("drone.yaml", []byte("zones: [A\nfoo: : bar"), env(nil))
	if err == nil || !strings.Contains(err.Error(), "drone.yaml:") || !strings.Contains(err.Error(), "not valid YAML") {
		t.Fatalf("want a located YAML error, got %v", err)
	}
}

func TestEnvironmentAndSecrets(t *testing.T) {
	t.Parallel()
	secret := t.TempDir() + "/key"
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := "hive:\n  url: http://127.0.0.1:1\n  api_key: ${file:" + secret + "}\n  organisation: ${ORG}\n"
	c, err := config.Parse("f.yaml", []byte(file), env(map[string]string{
		"ORG": "acme", "DRONE_DB": "/tmp/x.db", "DRONE_HTTP_ADDR": "127.0.0.1:9999", "DRONE_QUEUE_WORKERS": "7",
		"DRONE_HIVE_URL": "http://127.0.0.1:2"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Hive.APIKey != "s3cret" || c.Hive.Organisation != "acme" || c.Hive.URL != "http://127.0.0.1:2" {
		t.Errorf("hive: %+v", c.Hive)
	}
	if c.Database != "/tmp/x.db" || c.HTTP.Addr != "127.0.0.1:9999" || c.Queue.Workers != 7 {
		t.Errorf("env overrides not applied: %q %q %d", c.Database, c.HTTP.Addr, c.Queue.Workers)
	}
	_, err = config.Parse("f.yaml", []byte("hive:\n  api_key: ${MISSING}\n"), env(nil))
	if err == nil || !strings.Contains(err.Error(), "f.yaml:2: environment variable MISSING is not set") {
		t.Errorf("want missing variable at line 2, got %v", err)
	}
	_, err = config.Parse("f.yaml", nil, env(map[string]string{"DRONE_QUEUE_WORKERS": "many"}))
	if err == nil || !strings.Contains(err.Error(), "DRONE_QUEUE_WORKERS") {
		t.Errorf("want a bad environment value reported, got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(configs.Example)
	f.Add([]byte("zones: [A, B]\nroles: [{name: x, permissions: [close], members: ['*']}]"))
	f.Add([]byte("framework: {categories: [{code: C, name: N, subcontexts: [a, a]}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse("f.yaml", data, env(nil))
		var probs drone.Problems
		if err != nil && !errors.As(err, &probs) {
			t.Fatalf("non-Problems error: %v", err)
		}
		if err == nil && c == nil {
			t.Fatal("nil configuration without error")
		}
	})
}

func TestValuesOfTheWrongTypeWithTheirLines(t *testing.T) {
	t.Parallel()
	file := `queue:
  workers: lots
  max_attempts: 3
http:
  shutdown_grace: soon
hive:
  rate: [1, 2]
  custom_fields: {zone: z}
zones: &z [A]
business_units: *z
log:
  level: info
  level: debug
`
	c, err := config.Parse("f.yaml", []byte(file), env(nil))
	var probs drone.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("want Problems, got %v", err)
	}
	want := []string{
		`f.yaml:2: queue.workers: "lots" is not a whole number`,
		`f.yaml:5: http.shutdown_grace: "soon" is not a duration such as 30s or 4h`,
		`f.yaml:7: hive.rate: must be a number, not a list`,
		`f.yaml:13: log.level: set twice (first at line 12)`,
	}
	if got := probs.Error(); got != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	for _, p := range probs {
		if p.File != "f.yaml" || p.Line == 0 || p.Path == "" {
			t.Errorf("problem %#v lacks its place", p)
		}
	}
	// yaml.v3 decodes what it can: the rest of the file is kept.
	if c.Queue.MaxAttempts != 3 || c.Hive.CustomFields["zone"] != "z" || len(c.BusinessUnits) != 1 {
		t.Errorf("decoded %+v %+v %v", c.Queue, c.Hive.CustomFields, c.BusinessUnits)
	}
}

func TestAliasesAreLocatedAtTheirAnchor(t *testing.T) {
	t.Parallel()
	file := "base: &q\n  workers: many\nqueue: *q\n"
	_, err := config.Parse("f.yaml", []byte(file), env(nil))
	for _, w := range []string{`f.yaml:1: unknown setting "base"`, `f.yaml:2: queue.workers: "many" is not a whole number`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("want %q, got %v", w, err)
		}
	}
	if _, err := config.Parse("f.yaml", []byte("a: &a [*a]\nqueue: *a\n"), env(nil)); err == nil {
		t.Error("an alias that contains itself gave no problem")
	}
}

func TestSectionsAreCompleteOnceLoaded(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("f.yaml", []byte("slack:\n  bot_token: x\n  app_token: y\ndiscord:\n  bot_token: t\n  app_id: \"1\"\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Slack.Mode != "socket" || c.Slack.APIURL == "" || c.Slack.PostInterval <= 0 || c.Slack.Command != "/drone" {
		t.Errorf("slack without defaults: %+v", c.Slack)
	}
	if c.Discord.Mode != "gateway" || c.Discord.APIURL == "" || c.Discord.RequestsPerSecond != 50 {
		t.Errorf("discord without defaults: %+v", c.Discord)
	}
	if c.Hive.API == "" || c.Hive.Timeout <= 0 || c.Queue.Workers <= 0 {
		t.Errorf("hive or queue without defaults: %+v %+v", c.Hive, c.Queue)
	}
	if c.Notify.BatchWindow <= 0 || c.Notify.Email.Port != 587 || c.Notify.Inbound.MaxBytes <= 0 {
		t.Errorf("notify without defaults: %+v", c.Notify)
	}
	// The check sees the values as written, before the defaults.
	_, err = config.Parse("f.yaml", []byte("discord:\n  bot_token: t\n  app_id: \"1\"\n  requests_per_second: -1\n"), env(nil))
	if err == nil || !strings.Contains(err.Error(), "f.yaml:2: discord: discord.requests_per_second -1") {
		t.Errorf("want the negative rate reported, got %v", err)
	}
}

// The phishing mailbox is an adapter of its own (bot/mailbox), but its
// settings stay under notify.inbound: in the file, in the environment, in
// secrets and in the problems reported.
func TestMailboxSettingsStayUnderNotifyInbound(t *testing.T) {
	t.Parallel()
	file := "notify:\n  batch_window: 5s\n  inbound:\n    listen: 127.0.0.1:2525\n    addresses: [phishing@example.org]\n    password: ${PW}\n    username: reporter\n"
	c, err := config.Parse("f.yaml", []byte(file), env(map[string]string{"PW": "pw", "DRONE_NOTIFY_INBOUND_HOSTNAME": "mx"}))
	if err != nil {
		t.Fatal(err)
	}
	if in := c.Notify.Inbound; in.Listen != "127.0.0.1:2525" || in.Password != "pw" || in.Hostname != "mx" || len(in.Addresses) != 1 {
		t.Errorf("inbound: %+v", in)
	}
	if c.Notify.BatchWindow != 5*time.Second {
		t.Errorf("notify.batch_window: %s", c.Notify.BatchWindow)
	}
	// With the mailbox alone the notifier stays on (the measures, /drone
	// summary), as when it ran the mailbox.
	if !c.Notify.Enabled() {
		t.Error("the notifier is off with the mailbox on")
	}
	_, err = config.Parse("f.yaml", []byte("notify:\n  inbound:\n    lisen: x\n  rulez: []\n"), env(nil))
	for _, want := range []string{`f.yaml:3: unknown setting "lisen" in notify.inbound`, `f.yaml:4: unknown setting "rulez" in notify`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q, got %v", want, err)
		}
	}
	_, err = config.Parse("f.yaml", []byte("notify:\n  inbound:\n    listen: nowhere\n"), env(nil))
	if err == nil || !strings.Contains(err.Error(), `notify.inbound.listen "nowhere" must be HOST:PORT`) {
		t.Errorf("want the listen address refused, got %v", err)
	}
}

func TestWebOIDC(t *testing.T) {
	t.Parallel()
	file := "web:\n  oidc:\n    issuer: https://login.example.org\n    client_id: drone\n    client_secret: ${SECRET}\n" +
		"    claims: {roles: roles}\n    roles: {soc: responders}\n    clearances: {soc: amber}\n"
	c, err := config.Parse("f.yaml", []byte(file), env(map[string]string{"SECRET": "s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	if o := c.Web.OIDC; o.ClientSecret != "s3cret" || o.Claims.Roles != "roles" || o.Roles["soc"] != "responders" {
		t.Errorf("web.oidc: %+v", o)
	}
	bad := "web:\n  oidc:\n    issuer: login.example.org\n    roles: {soc: 'web:group:x'}\n    clearances: {soc: PURPLE}\n" +
		"    default_clearance: BLUE\n"
	_, err = config.Parse("f.yaml", []byte(bad), env(nil))
	for _, want := range []string{"web.oidc.issuer", "web.oidc.client_id: required", "web.oidc.roles.soc",
		"web.oidc.clearances.soc", "web.oidc.default_clearance"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %s reported, got %v", want, err)
		}
	}
}

// TestReviewTemplateChecked: a review template that does not parse is a
// problem of the review section naming the template's file and line.
func TestReviewTemplateChecked(t *testing.T) {
	t.Parallel()
	tmpl := t.TempDir() + "/review.md.tmpl"
	if err := os.WriteFile(tmpl, []byte("# {{.Ref}}\n{{if .Events}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Parse("drone.yaml", []byte("review:\n  template: "+tmpl+"\n"), env(nil))
	var probs drone.Problems
	if !errors.As(err, &probs) || !strings.Contains(err.Error(), "review") || !strings.Contains(err.Error(), tmpl+":") {
		t.Fatalf("a broken review template gave %v", err)
	}
}

// TestCortexSection reads the cortex section, its analyzers, its key
// from the environment, and reports an analyzer that does not say whom
// it contacts.
func TestCortexSection(t *testing.T) {
	t.Parallel()
	file := `cortex:
  url: https://cortex.example.org:9001
  analyzers:
    - {name: AbuseIPDB_1_0, data_types: [ip], reach: passive}
    - {name: Urlscan_io_Scan_0_1_0, data_types: [url, domain], reach: active, max_tlp: green}
`
	c, err := config.Parse("f.yaml", []byte(file), env(map[string]string{"DRONE_CORTEX_API_KEY": "k"}))
	if err != nil {
		t.Fatal(err)
	}
	cx := c.Cortex
	if cx.APIKey != "k" || len(cx.Analyzers) != 2 || cx.Analyzers[0].MaxTLP != "AMBER" || cx.Analyzers[1].MaxTLP != "GREEN" ||
		cx.Wait <= 0 || cx.EnrichPAP != "AMBER" {
		t.Errorf("cortex: %+v", cx)
	}
	bad := "cortex:\n  url: https://cortex.example.org\n  api_key: k\n  analyzers:\n    - {name: VT, data_types: [ip, tweet]}\n"
	_, err = config.Parse("f.yaml", []byte(bad), env(nil))
	for _, want := range []string{"f.yaml:2: cortex: cortex.analyzers[0].reach", `"tweet" is not a data type`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q reported, got %v", want, err)
		}
	}
}

func TestTrackersFromTheEnvironment(t *testing.T) {
	t.Parallel()
	file := "jira:\n  url: https://example.atlassian.net\n  email: bot@example.org\n  project: SEC\n" +
		"servicenow:\n  url: https://example.service-now.com\n  user: drone\n"
	c, err := config.Parse("f.yaml", []byte(file), env(map[string]string{
		"DRONE_JIRA_TOKEN": "jt", "DRONE_SERVICENOW_PASSWORD": "pw", "DRONE_JIRA_POLL_INTERVAL": "2m"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Jira.Token != "jt" || c.Jira.PollInterval != 2*time.Minute || c.Jira.IssueType != "Task" || c.Jira.Flavour != "cloud" {
		t.Errorf("jira: %+v", c.Jira)
	}
	if c.ServiceNow.Password != "pw" || c.ServiceNow.Table != "incident" || c.ServiceNow.CloseCode != "Solution provided" {
		t.Errorf("servicenow: %+v", c.ServiceNow)
	}
	_, err = config.Parse("f.yaml", []byte(file), env(nil))
	if err == nil || !strings.Contains(err.Error(), "jira.token: required") || !strings.Contains(err.Error(), "servicenow.user, password: required") {
		t.Errorf("want the missing secrets reported, got %v", err)
	}
	users := file + "  users:\n    slack:U1: alice.analyst\n    carol: carol\n    slack:U2: \"\"\n"
	_, err = config.Parse("f.yaml", []byte(users), env(map[string]string{"DRONE_JIRA_TOKEN": "jt", "DRONE_SERVICENOW_PASSWORD": "pw"}))
	for _, want := range []string{`servicenow.users: "carol" is not a chat identity`, "servicenow.users: slack:U2 maps to no user"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q reported, got %v", want, err)
		}
	}
}
