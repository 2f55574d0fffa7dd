package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/cortex/cortextest"
)

// cortexDrone runs drone cortex check against a Cortex stand-in with the
// cortex section given.
func cortexDrone(t *testing.T, section string, key string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	srv := cortextest.New(t, cortextest.Options{Analyzers: []cortextest.Analyzer{
		{Name: "AbuseIPDB_1_0", DataTypes: []string{"ip"}},
		{Name: "VirusTotal_GetReport_3_1", DataTypes: []string{"ip", "domain", "url", "hash"}}}})
	dir := t.TempDir()
	file := filepath.Join(dir, "drone.yaml")
	section = strings.ReplaceAll(section, "URL", srv.URL())
	if err := os.WriteFile(file, []byte("log: {level: warn, format: text}\n"+section), 0o600); err != nil {
		t.Fatal(err)
	}
	if key == "" {
		key = srv.Key()
	}
	env := map[string]string{"DRONE_DB": filepath.Join(dir, "drone.db"), "DRONE_CORTEX_API_KEY": key}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	code = Run(ctx, append([]string{"--config", file, "cortex", "check"}, args...),
		Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	return out.String(), errb.String(), code
}

func TestCortexCheck(t *testing.T) {
	t.Parallel()
	const two = `cortex:
  url: URL
  analyzers:
    - {name: AbuseIPDB_1_0, data_types: [ip], reach: passive}
    - {name: VirusTotal_GetReport_3_1, data_types: [ip, domain, mail], reach: passive}
`
	const ghost = two + "    - {name: Ghost_1_0, data_types: [ip], reach: active}\n"
	for name, tc := range map[string]struct {
		section, key string
		code         int
		stdout       []string
		stderr       []string
	}{
		"ok": {two, "", exitOK, []string{"Cortex at http://127.0.0.1:", "2 analyzer(s) enabled",
			"* passive, max TLP AMBER: AbuseIPDB_1_0 (ip)"}, []string{"warning: VirusTotal_GetReport_3_1 takes no mail data"}},
		"missing analyzer": {ghost, "", exitFailure, []string{"missing: Ghost_1_0 is configured but not enabled in Cortex"},
			[]string{"configured analyzer(s) Ghost_1_0 not enabled in Cortex"}},
		"bad key":         {two, "not-the-key", exitFailure, nil, []string{"the API key was refused (cortex.api_key)", "401 AuthenticationError"}},
		"no Cortex there": {strings.Replace(two, "URL", "http://"+closedPort(t), 1), "", exitFailure, nil, []string{"cannot reach Cortex (check cortex.url", "no answer"}},
		"bad configuration": {"cortex:\n  url: URL\n  analyzers: [{name: X, data_types: [ip]}]\n", "", exitUsage, nil,
			[]string{"cortex.analyzers[0].reach"}},
		"not configured": {"", "", exitUsage, nil, []string{"no Cortex configured: set cortex.url"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := cortexDrone(t, tc.section, tc.key)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

func TestCortexCheckJSON(t *testing.T) {
	t.Parallel()
	stdout, _, code := cortexDrone(t, "cortex:\n  url: URL\n  analyzers: [{name: AbuseIPDB_1_0, data_types: [ip], reach: passive}]\n", "", "--json")
	var res cortexCheckResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	if code != exitOK || !res.OK || len(res.Analyzers) != 2 || len(res.Missing) != 0 {
		t.Errorf("exit %d, result %+v", code, res)
	}
}
