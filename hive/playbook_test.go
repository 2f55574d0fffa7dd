package hive_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/hive"
)

// TestDefaultPlaybooksCoverFramework: every category of the default
// framework has a playbook of its own, and the defaults refer only to
// categories and sub-contexts that exist.
func TestDefaultPlaybooksCoverFramework(t *testing.T) {
	fw := drone.DefaultFramework()
	books := hive.DefaultPlaybooks()
	for _, c := range fw.Categories {
		if len(books[c.Code]) < 3 {
			t.Errorf("%s has %d default tasks, want a playbook", c.Code, len(books[c.Code]))
		}
	}
	if err := hive.CheckFramework(hive.Config{Playbooks: books}, fw); err != nil {
		t.Errorf("default playbooks name unknown categories: %v", err)
	}
	books["CAT1"][0] = "changed"
	if hive.DefaultPlaybooks()["CAT1"][0] == "changed" {
		t.Error("DefaultPlaybooks shares its lists with its callers")
	}
}

func TestPlaybookTasksPrecedence(t *testing.T) {
	def := hive.DefaultPlaybooks()
	conf := map[string][]string{
		"cat1":               {"Our intrusion list"},
		"CAT1/Phishing":      {"Our phishing list"},
		"CAT3 / trojan/rat ": {"Our RAT list"},
		"CAT9":               {},
	}
	for _, tc := range []struct {
		conf          map[string][]string
		category, sub string
		want          []string
	}{
		{nil, "CAT1", "Phishing", def["CAT1/PHISHING"]},
		{nil, "CAT1", "Theft", def["CAT1"]},
		{nil, "CAT42", "", def[hive.PlaybookAny]},
		{conf, "CAT1", "phishing", []string{"Our phishing list"}},
		{conf, "CAT1", "Theft", []string{"Our intrusion list"}},
		{conf, "CAT3", "Trojan/RAT", []string{"Our RAT list"}},
		{conf, "CAT3", "Ransomware", def["CAT3/RANSOMWARE"]},
		{conf, "CAT9", "", []string{}},
		{map[string][]string{"*": {"Ours"}}, "CAT2", "", []string{"Ours"}},
	} {
		got := hive.PlaybookTasks(tc.conf, tc.category, tc.sub)
		if !slices.Equal(got, tc.want) {
			t.Errorf("PlaybookTasks(%v, %s, %s) = %q, want %q", tc.conf != nil, tc.category, tc.sub, got, tc.want)
		}
	}
}

func TestCheckFrameworkNamesUnknownKeys(t *testing.T) {
	cfg := hive.Config{
		Playbooks:     map[string][]string{"CAT1/Phishing": {"x"}, "CAT1/Vishing": {"x"}, "CAT11": {"x"}, "*": {"x"}},
		CaseTemplates: map[string]string{"CAT1": "intrusion", "CAT12": "other"},
	}
	err := hive.CheckFramework(cfg, drone.DefaultFramework())
	if err == nil {
		t.Fatal("no problem reported")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Fatalf("problems = %q, want 3", lines)
	}
	for i, want := range []string{`hive.playbooks: "CAT1/Vishing"`, `hive.playbooks: "CAT11"`, `hive.case_templates: "CAT12"`} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("problem %d = %q, want it to start with %q", i, lines[i], want)
		}
	}
}

func TestConfigValidatePlaybooks(t *testing.T) {
	c := hive.Config{URL: "https://thehive.example", APIKey: "k",
		Playbooks: map[string][]string{"/Phishing": {"x"}, "CAT1": {"Triage", " "}}}
	err := c.Validate()
	if err == nil {
		t.Fatal("invalid playbooks accepted")
	}
	for _, want := range []string{`key "/Phishing" names no category`, "hive.playbooks.CAT1[1]: empty task title"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
