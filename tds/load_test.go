package tds_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/tds"
)

func TestShippedLibraryValidates(t *testing.T) {
	t.Parallel()
	lib := shipped(t)
	if len(lib.Threats) < 12 {
		t.Fatalf("shipped library has %d threats, want at least 12", len(lib.Threats))
	}
	for _, th := range lib.Threats {
		if len(th.Categories) == 0 {
			t.Errorf("%s maps to no DRONE category", th.Name)
		}
		for _, s := range th.Surfaces {
			for _, e := range s.Events {
				if e.Stage == "" {
					t.Errorf("%s / %s has no stage", th.Name, e.Name)
				}
			}
		}
	}
	// The same files, read from disk, through Validate.
	if problems := tds.Validate("../configs/tds"); len(problems) > 0 {
		t.Errorf("Validate(configs/tds) = %v", problems)
	}
}

func TestShippedTechniquesHaveParents(t *testing.T) {
	t.Parallel()
	for _, tech := range tds.KnownTechniques() {
		if !tds.ValidTechniqueID(tech.ID) || tech.Name == "" {
			t.Errorf("bad technique %+v", tech)
		}
		if parent, _, sub := strings.Cut(tech.ID, "."); sub {
			if _, ok := tds.LookupTechnique(parent); !ok {
				t.Errorf("%s has no parent %s in the list", tech.ID, parent)
			}
		}
	}
	if tech, _ := tds.LookupTechnique("T1566.002"); tech.Name != "Phishing: Spearphishing Link" {
		t.Errorf("T1566.002 = %q", tech.Name)
	}
}

func TestLoadOriginalCurrentSchema(t *testing.T) {
	t.Parallel()
	th, problems, err := tds.LoadFile("testdata/original/phishing_0.0.1.yml")
	if err != nil {
		t.Fatal(err)
	}
	if th.Draft || th.Name != "phishing" || th.Metadata.CreatedDate != "2022-06-09" || len(th.Surfaces) != 1 {
		t.Fatalf("loaded %+v", th)
	}
	events := th.Surfaces[0].Events
	// observations written as a single mapping, sensors as comma-separated text.
	if len(events) != 2 || !reflect.DeepEqual(events[0].Observations, []tds.Observation{
		{Name: "Email Application", Sensors: []string{"Mail Flow Logs", "Mailbox Audit Logs"}},
	}) {
		t.Errorf("events = %+v", events)
	}
	wantProblems(t, problems,
		"phishing_0.0.1.yml:28: unknown ATT&CK technique T1004",
		`phishing_0.0.1.yml:26: observation "Workstation" lists no sensors`,
	)
}

func TestLoadOriginalDraftSchema(t *testing.T) {
	t.Parallel()
	th, problems, err := tds.LoadFile("testdata/original/draft-phishing_0.0.1.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !th.Draft || th.Metadata.CreatedBy != "Jane Analyst" || th.Metadata.CreatedDate != "2022-05-10" ||
		th.Metadata.ModifiedDate != "2022-05-12" {
		t.Errorf("metadata = %+v, draft %v", th.Metadata, th.Draft)
	}
	var names []string
	for _, s := range th.Surfaces {
		names = append(names, s.Name)
	}
	if !reflect.DeepEqual(names, []string{"mail-service", "anti-spam-appliance", "edr"}) {
		t.Fatalf("surfaces = %v", names)
	}
	if obs := th.Surfaces[0].Events[0].Observations; len(obs) != 3 || obs[2].Sensors[1] != "Cloud Access Security Broker logs" {
		t.Errorf("observations = %+v", obs)
	}
	wantProblems(t, problems,
		`draft-phishing_0.0.1.yml:39: surface "anti-spam-appliance" has no category`,
		`draft-phishing_0.0.1.yml:39: surface "anti-spam-appliance" has no events`,
	)
	// Converting the draft writes the current schema.
	out, err := tds.Marshal(th)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "surfaces:\n  - name: mail-service") || strings.Contains(string(out), "created-by") {
		t.Errorf("converted draft:\n%s", out)
	}
}

func TestProblemsCarryFileAndLine(t *testing.T) {
	t.Parallel()
	_, problems, err := tds.LoadFile("testdata/bad/many-problems_1.0.0.yml")
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, problems,
		`many-problems_1.0.0.yml:2: version "1.0" is not a semantic version`,
		`many-problems_1.0.0.yml:4: reference "ftp://example.org/x" is not an http(s) URL`,
		`many-problems_1.0.0.yml:5: unknown key "colour" in the definition`,
		`many-problems_1.0.0.yml:7: unknown DRONE category "CAT42"`,
		`many-problems_1.0.0.yml:9: CAT1 Intrusion has no sub-context "Shoplifting"`,
		`many-problems_1.0.0.yml:15: unknown stage "teleportation"`,
		`many-problems_1.0.0.yml:16: technique "T1566.1" is not an ATT&CK technique id`,
		`many-problems_1.0.0.yml:16: unknown ATT&CK technique T9999`,
		`many-problems_1.0.0.yml:18: observation "Gateway" lists no sensors`,
		`many-problems_1.0.0.yml:20: event "Delivery" has no observations`,
		`many-problems_1.0.0.yml:1: event "Delivery" appears twice`,
	)
}

func TestBrokenYAMLGivesFileAndLine(t *testing.T) {
	t.Parallel()
	_, _, err := tds.LoadFile("testdata/bad/broken_1.0.0.yml")
	var p drone.Problem
	// yaml.v3 reports the line where the bad indentation's block started.
	if !errors.As(err, &p) || p.Line != 2 || !strings.HasPrefix(p.String(), "testdata/bad/broken_1.0.0.yml:2: invalid YAML") {
		t.Errorf("error = %v (%#v)", err, p)
	}
	for _, data := range []string{"", "- a\n- b\n", "just text"} {
		if _, _, err := tds.Parse("x.yml", []byte(data)); err == nil {
			t.Errorf("Parse(%q) gave no error", data)
		}
	}
}

func TestLoadLibraryReportsAndSkips(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile("testdata/lib/beacon_1.0.0.yml")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"defs/beacon_1.0.0.yml":    {Data: good},
		"defs/beacon_1.0.1.yml":    {Data: []byte(strings.Replace(string(good), "version: 1.0.0", "version: 1.0.1", 1))},
		"defs/broken_1.0.0.yml":    {Data: []byte("name: [\n")},
		"defs/README.md":           {Data: []byte("not a definition")},
		"defs/sub/ignored_1.0.yml": {Data: []byte("name: x")},
	}
	lib, problems, err := tds.LoadLibrary(fsys, "defs")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lib.Names(), []string{"beacon"}) {
		t.Errorf("names = %v", lib.Names())
	}
	wantProblems(t, problems,
		`defs/beacon_1.0.1.yml: threat "beacon" is already defined in defs/beacon_1.0.0.yml`,
		"defs/broken_1.0.0.yml:1: invalid YAML",
	)
	if _, _, err := tds.LoadLibrary(fsys, "missing"); err == nil {
		t.Error("missing directory gave no error")
	}
}

func TestValidateFilesAndDirectories(t *testing.T) {
	t.Parallel()
	problems := tds.Validate("testdata/lib", "testdata/bad/broken_1.0.0.yml", "testdata/none.yml")
	wantProblems(t, problems, "testdata/bad/broken_1.0.0.yml:2: invalid YAML", "testdata/none.yml: ")
	if len(problems) != 2 {
		t.Errorf("problems = %v", problems)
	}
}

func TestFileNameConvention(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/lib/beacon_1.0.0.yml")
	if err != nil {
		t.Fatal(err)
	}
	_, problems, _ := tds.Parse(filepath.Join("x", "beacon.yml"), data)
	wantProblems(t, problems, `beacon.yml:1: file name "beacon.yml" does not follow <name>_<version>.yml: want beacon_1.0.0.yml`)
}

func TestLookupAndForIncident(t *testing.T) {
	t.Parallel()
	lib := shipped(t)
	for _, name := range []string{"Credential-Phishing", "credential phishing", "credential-phishing_1.0.0.yml"} {
		if th, err := lib.Lookup(name); err != nil || th.Name != "credential-phishing" {
			t.Errorf("Lookup(%q) = %v, %v", name, th, err)
		}
	}
	if _, err := lib.Lookup("nope"); err == nil || !strings.Contains(err.Error(), "known threats: business-email-compromise, ") {
		t.Errorf("Lookup(nope) error = %v", err)
	}
	names := func(ts []*tds.Threat) []string {
		var out []string
		for _, th := range ts {
			out = append(out, th.Name)
		}
		return out
	}
	phishing := []string{"business-email-compromise", "credential-phishing", "malicious-attachment"}
	if got := names(lib.ForIncident("CAT1", "Phishing")); !reflect.DeepEqual(got, phishing) {
		t.Errorf("ForIncident(CAT1, Phishing) = %v", got)
	}
	if got := names(lib.ForIncident("intrusion", "PHISHING")); !reflect.DeepEqual(got, phishing) {
		t.Errorf("ForIncident(intrusion, PHISHING) = %v", got)
	}
	if got := names(lib.ForIncident("CAT2", "")); !reflect.DeepEqual(got, []string{"ddos"}) {
		t.Errorf("ForIncident(CAT2) = %v", got)
	}
	if got := names(lib.ForIncident("CAT5", "Attempted Email Phishing")); !reflect.DeepEqual(got, phishing) {
		t.Errorf("ForIncident(CAT5, Attempted Email Phishing) = %v", got)
	}
	if got := lib.ForIncident("CAT7", "Firewall"); len(got) != 0 {
		t.Errorf("ForIncident(CAT7, Firewall) = %v", names(got))
	}
}

func TestStages(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]tds.Stage{
		"Command and Control": "command-and-control", "command_and_control": "command-and-control",
		"C2": "command-and-control", "Actions on Objectives": "actions-on-objectives", "Initial Access": "initial-access",
	} {
		if got, err := tds.ParseStage(in); err != nil || got != want {
			t.Errorf("ParseStage(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := tds.ParseStage("teleportation"); err == nil || !strings.Contains(err.Error(), "reconnaissance, weaponization") {
		t.Errorf("unknown stage error = %v", err)
	}
	if tds.Stage("delivery").Rank() != tds.Stage("initial-access").Rank() ||
		tds.Stage("delivery").Rank() >= tds.Stage("exploitation").Rank() ||
		tds.Stage("command-and-control").Rank() >= tds.Stage("actions-on-objectives").Rank() {
		t.Error("stage ranks out of order")
	}
}

func TestInventory(t *testing.T) {
	t.Parallel()
	inv := exampleInventory(t)
	if len(inv.Sources) < 25 {
		t.Errorf("example inventory has %d sources, want about 25", len(inv.Sources))
	}
	if s := inv.Lookup("exchange MESSAGE tracking"); s == nil || s.Name != "Mail Flow Logs" {
		t.Errorf("alias lookup = %+v", s)
	}
	data := "sources:\n" +
		"  - name: A\n    aliases: [B]\n    quality: {timeliness: 7, retention: x}\n" +
		"  - name: b\n    retention_days: -1\n    detections: maybe\n    colour: red\n"
	_, problems, err := tds.ParseInventory("inv.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, problems,
		"inv.yaml:4: timeliness must be between 0 (unknown) and 5, not 7",
		"inv.yaml:4: retention must be a whole number",
		`inv.yaml:5: source name or alias "b" is already used by "A"`,
		"inv.yaml:6: retention_days must not be negative",
		"inv.yaml:7: detections must be true or false",
		`inv.yaml:8: unknown key "colour" in a source`,
	)
	if _, _, err := tds.ParseInventory("inv.yaml", []byte("sources: [\n")); err == nil {
		t.Error("broken inventory gave no error")
	}
}

// wantProblems checks that each want is the prefix of one problem's text, after the
// directory part of the file name.
func wantProblems(t *testing.T, problems []drone.Problem, want ...string) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, p := range problems {
			if strings.Contains(p.String(), w) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no problem %q among:\n%s", w, joinProblems(problems))
		}
	}
}

func joinProblems(problems []drone.Problem) string {
	var b strings.Builder
	for _, p := range problems {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

func TestCategoriesAsMapping(t *testing.T) {
	t.Parallel()
	data := "name: m\nversion: 1.0.0\nstatement: s\n" +
		"drone_categories: {intrusion: [phishing], CAT2: }\n" +
		"surfaces:\n  - name: s\n    category: c\n    events:\n      - name: e\n        observations: [{name: o, sensors: [x]}]\n"
	th, problems, err := tds.Parse("m_1.0.0.yml", []byte(data))
	if err != nil || len(problems) > 0 {
		t.Fatalf("Parse: %v %v", err, problems)
	}
	want := []tds.CategoryMapping{{Category: "CAT1", SubContexts: []string{"Phishing"}}, {Category: "CAT2"}}
	if !reflect.DeepEqual(th.Categories, want) {
		t.Errorf("categories = %+v", th.Categories)
	}
	if got := tds.NewLibrary(th).ForIncident("CAT2", "Volumetric"); len(got) != 1 {
		t.Errorf("a mapping without sub-contexts should match any sub-context, got %v", got)
	}
}
