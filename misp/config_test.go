package misp_test

import (
	"strings"
	"testing"

	"github.com/ttp0/drone/misp"
)

func TestConfigValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  misp.Config
		want string // "" for valid
	}{
		"off":             {misp.Config{}, ""},
		"minimal":         {misp.Config{URL: "https://misp.example.org", Key: "k"}, ""},
		"no key":          {misp.Config{URL: "https://misp.example.org"}, "misp.key: required"},
		"bad scheme":      {misp.Config{URL: "ftp://misp.example.org", Key: "k"}, "misp.url: scheme must be http or https"},
		"key in URL":      {misp.Config{URL: "https://u:p@misp.example.org", Key: "k"}, "must not carry credentials"},
		"red":             {misp.Config{URL: "https://m.example.org", Key: "k", Export: misp.ExportConfig{MaxTLP: "red"}}, "RED incidents must not leave drone"},
		"red allowed":     {misp.Config{URL: "https://m.example.org", Key: "k", Export: misp.ExportConfig{MaxTLP: "TLP:RED", AllowRed: true}}, ""},
		"unknown TLP":     {misp.Config{URL: "https://m.example.org", Key: "k", Export: misp.ExportConfig{MaxTLP: "purple"}}, `export.max_tlp: "purple" is not a TLP`},
		"unknown PAP":     {misp.Config{URL: "https://m.example.org", Key: "k", Export: misp.ExportConfig{MaxPAP: "amber+strict"}}, `export.max_pap: "amber+strict" is not a PAP`},
		"distribution 5":  {misp.Config{URL: "https://m.example.org", Key: "k", Export: misp.ExportConfig{Distribution: 5}}, "export.distribution: 5"},
		"negative rate":   {misp.Config{URL: "https://m.example.org", Key: "k", Rate: ptr(-1.0)}, "misp.rate: -1"},
		"missing CA file": {misp.Config{URL: "https://m.example.org", Key: "k", CAFile: "/nonexistent/ca.pem"}, "misp.ca_file"},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want valid", name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	d := misp.Config{URL: "https://m.example.org", Key: "k"}.WithDefaults()
	if *d.Rate != misp.DefaultRate || d.CacheTTL != misp.DefaultCacheTTL || d.Export.MaxTLP != "AMBER" || d.Export.MaxPAP != "AMBER" || !*d.VerifyTLS {
		t.Errorf("defaults = %+v", d)
	}
}
