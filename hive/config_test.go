package hive_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/hive"
)

func TestConfigDefaults(t *testing.T) {
	var c hive.Config
	if c.Enabled() {
		t.Error("zero config enabled")
	}
	if err := c.Validate(); err != nil {
		t.Errorf("disabled config invalid: %v", err)
	}
	d := c.WithDefaults()
	if d.API != hive.APIv1 || !*d.VerifyTLS || *d.Rate != 10 || d.Timeout != 15*time.Second {
		t.Errorf("defaults = api %q verify %v rate %v timeout %v", d.API, *d.VerifyTLS, *d.Rate, d.Timeout)
	}
	off := hive.Config{Rate: ptr(0.0), VerifyTLS: ptr(false)}.WithDefaults()
	if *off.Rate != 0 || *off.VerifyTLS {
		t.Errorf("explicit zero values were overridden: rate %v verify %v", *off.Rate, *off.VerifyTLS)
	}
}

func TestConfigValidateListsEveryProblem(t *testing.T) {
	c := hive.Config{
		URL:           "ftp://user:pw@thehive.example",
		API:           "v2",
		Rate:          ptr(-1.0),
		Timeout:       -time.Second,
		VerifyTLS:     ptr(false),
		CAFile:        filepath.Join(t.TempDir(), "missing.pem"),
		CustomFields:  map[string]string{"colour": "x", "zone": ""},
		CaseTemplates: map[string]string{"CAT1": ""},
		Users:         map[string]string{"U123": ""},
	}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad config")
	}
	for _, want := range []string{"hive.url", "hive.api_key", "hive.api:", "hive.rate", "hive.timeout",
		"verify_tls is false", "missing.pem", `"colour"`, "custom_fields.zone", "hive.case_templates", "hive.users"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "pw@") {
		t.Errorf("Validate repeats URL credentials: %v", err)
	}
}

func TestConfigValidateAcceptsGoodConfig(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(ca, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := hive.Config{URL: "https://thehive.example/prefix/", APIKey: "k", API: hive.APIv0,
		CustomFields: map[string]string{hive.FieldZone: "soc-zone", hive.FieldTier: "soc-tier"}}
	if err := good.Validate(); err != nil {
		t.Errorf("good config: %v", err)
	}
	good.CAFile = ca
	if err := good.Validate(); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("ca_file without a certificate: %v", err)
	}
	if _, err := hive.New(hive.Config{}); err == nil {
		t.Error("New accepted a disabled config")
	}
}

func TestTLPNumbers(t *testing.T) {
	tests := []struct {
		name   string
		v1, v0 int
	}{
		{"CLEAR", 0, 0}, {"WHITE", 0, 0}, {"green", 1, 1}, {"AMBER", 2, 2},
		{"AMBER+STRICT", 3, 2}, {"RED", 4, 3}, {"", -1, -1},
	}
	for _, tt := range tests {
		for api, want := range map[string]int{hive.APIv1: tt.v1, hive.APIv0: tt.v0} {
			got, err := hive.TLPNumber(api, tt.name)
			if err != nil || got != want {
				t.Errorf("TLPNumber(%s, %q) = %d, %v; want %d", api, tt.name, got, err, want)
			}
		}
	}
	if _, err := hive.TLPNumber(hive.APIv1, "PURPLE"); err == nil {
		t.Error("TLPNumber accepted PURPLE")
	}
	for api, names := range map[string][]string{
		hive.APIv1: {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"},
		hive.APIv0: {"CLEAR", "GREEN", "AMBER", "RED"},
	} {
		for n, want := range names {
			if got := hive.TLPName(api, n); got != want {
				t.Errorf("TLPName(%s, %d) = %q, want %q", api, n, got, want)
			}
		}
		if got := hive.TLPName(api, len(names)); got != "" {
			t.Errorf("TLPName(%s, %d) = %q, want empty", api, len(names), got)
		}
	}
	for n, name := range []string{"CLEAR", "GREEN", "AMBER", "RED"} {
		if got, err := hive.PAPNumber(name); got != n || err != nil || hive.PAPName(n) != name {
			t.Errorf("PAP %s: %d, %v", name, got, err)
		}
	}
	if _, err := hive.PAPNumber("AMBER+STRICT"); err == nil {
		t.Error("PAPNumber accepted AMBER+STRICT")
	}
}
