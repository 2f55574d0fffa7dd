// Package imports_test keeps the direction of the imports between drone's
// packages: adapters translate, the core decides, and nothing runs back up.
// docs/ARCHITECTURE.md explains the layers this test holds.
package imports_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ttp0/drone"

// rules says which of drone's own packages each package may import, by
// path below the module. A rule covers its package and those below it,
// unless a longer one names them; a package inside the list of the prefix
// it imports is always allowed to import its own subpackages.
var rules = map[string][]string{
	// The core: incidents, the grammar, forms, notices. Nothing of ours.
	"drone": {},
	// Input adapters (the chat ones, the phishing mailbox): the core, what
	// they share and the queue's words, never each other nor notify.
	"bot/chat": {"drone"},
	"bot":      {"drone", "bot/chat", "queue", "integration"},
	// Integrations: the core, the queue's words, the shape they plug in by,
	// and how drone checks and reaches an HTTP API.
	"hive":    {"drone", "queue", "integration", "httpapi"},
	"cortex":  {"drone", "queue", "integration", "httpapi"},
	"misp":    {"drone", "queue", "integration", "httpapi"},
	"httpapi": {},
	// Issue trackers: the shared sync (tracker), and one package per
	// tracker speaking its wire format; their stand-ins share the fault
	// injection of tracker/trackertest.
	"tracker":             {"drone", "queue", "integration"},
	"tracker/trackertest": {},
	"jira":                {"drone", "queue", "integration", "tracker", "httpapi"},
	"servicenow":          {"drone", "queue", "integration", "tracker", "httpapi"},
	"notify":              {"drone", "queue", "integration", "configs", "measure"},
	// The DRONE measures: reports, metrics, target checks, regulatory
	// clocks. Their entries reach notify as events, so no notify here.
	"measure": {"drone", "queue"},
	"tds":     {"drone", "integration", "configs", "yamlfile"},
	// The post-incident review: drafted through the core, its template
	// embedded in configs; the chat integrations and TheHive send it on
	// from the timeline entry, without importing it.
	"review": {"drone", "queue", "integration", "configs"},
	// What an integration contributes, and is given.
	"integration": {"drone"},
	// The web console: an adapter like the chat ones, over the core alone
	// (its storage interfaces are the core's and its own).
	"web": {"drone", "notify", "measure", "tds", "integration"},
	// Storage: the core's interfaces.
	"store": {"drone"},
	// Steering of queued work: the core's failure words.
	"queue": {"drone"},
	// Configuration gathers every section's settings.
	"config": {"drone", "yamlfile", "bot/slack", "bot/discord", "bot/mailbox", "hive", "misp", "cortex", "jira", "servicenow", "notify", "tds", "review", "store"},
	// Where yaml.v3 says a syntax error is.
	"yamlfile": {"drone"},
	// Embedded files.
	"configs": {},
	// Test infrastructure, imported by tests only: a service over the
	// store (dronetest), the chat adapters' contract (bot/chattest).
	"dronetest": {"drone", "store"},
	// The SMTP stand-in serves AUTH LOGIN as the mailbox does.
	"notify/email/smtptest": {"notify/email", "bot/mailbox"},
	"bot/chattest":          {"drone", "dronetest"},
	// The programs wire everything; benchmarks may use anything.
	"cmd":   nil,
	"bench": nil,
}

type listed struct {
	ImportPath string
	Imports    []string
}

func TestImportDirections(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("reading go list: %v", err)
		}
		pkg, ok := strings.CutPrefix(p.ImportPath, module+"/")
		if !ok {
			continue // the module's root holds only this test
		}
		rule, allowed, found := ruleOf(pkg)
		if !found {
			t.Errorf("%s has no import rule: add one to rules in imports_test.go", pkg)
			continue
		}
		if allowed == nil {
			continue
		}
		for _, imp := range p.Imports {
			dep, ours := strings.CutPrefix(imp, module+"/")
			if !ours || within(dep, rule) || permitted(dep, allowed) {
				continue
			}
			t.Errorf("%s imports %s, which the %q rule forbids (allowed: %v)", pkg, dep, rule, allowed)
		}
	}
}

// ruleOf returns the longest rule covering pkg.
func ruleOf(pkg string) (string, []string, bool) {
	best, found := "", false
	for r := range rules {
		if within(pkg, r) && len(r) >= len(best) {
			best, found = r, true
		}
	}
	if !found {
		return "", nil, false
	}
	allowed := rules[best]
	if allowed == nil {
		return best, nil, true
	}
	return best, allowed, true
}

// within reports whether pkg is dir or below it.
func within(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

func permitted(dep string, allowed []string) bool {
	for _, a := range allowed {
		if within(dep, a) {
			return true
		}
	}
	return false
}
