package tds_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/tds"
)

// fixture assesses the small test library against the test inventory.
func fixture(t *testing.T) *tds.Assessment {
	t.Helper()
	lib, problems, err := tds.LoadLibrary(os.DirFS("testdata"), "lib")
	if err != nil || len(problems) > 0 {
		t.Fatalf("loading test library: %v %v", err, problems)
	}
	inv, problems, err := tds.LoadInventory("testdata/inventory.yaml")
	if err != nil || len(problems) > 0 {
		t.Fatalf("loading test inventory: %v %v", err, problems)
	}
	return tds.Assess(lib, inv)
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	a := fixture(t)
	for format, file := range map[string]string{
		"table": "table.txt", "json": "assessment.json", "markdown": "assessment.md", "navigator": "navigator.json",
	} {
		var buf bytes.Buffer
		if err := a.Render(&buf, format); err != nil {
			t.Fatalf("Render(%s): %v", format, err)
		}
		dronetest.Golden(t, filepath.Join("testdata", "golden", file), buf.Bytes())
	}
	one, err := a.Only("BEACON")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := one.Render(&buf, "navigator"); err != nil {
		t.Fatal(err)
	}
	dronetest.Golden(t, filepath.Join("testdata", "golden", "navigator-beacon.json"), buf.Bytes())
}

func TestRenderUnknownFormat(t *testing.T) {
	t.Parallel()
	err := fixture(t).Render(&bytes.Buffer{}, "yaml")
	if err == nil || !strings.Contains(err.Error(), "use one of table, json, markdown, navigator") {
		t.Errorf("error = %v", err)
	}
}

func TestNavigatorLayerShape(t *testing.T) {
	t.Parallel()
	a := tds.Assess(shipped(t), exampleInventory(t))
	var buf bytes.Buffer
	if err := a.Render(&buf, "navigator"); err != nil {
		t.Fatal(err)
	}
	var layer map[string]any
	if err := json.Unmarshal(buf.Bytes(), &layer); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"name", "domain", "versions", "techniques", "gradient", "legendItems"} {
		if _, ok := layer[key]; !ok {
			t.Errorf("layer lacks %q", key)
		}
	}
	if v := layer["versions"].(map[string]any); v["layer"] != "4.5" || layer["domain"] != "enterprise-attack" {
		t.Errorf("versions = %v, domain = %v", v, layer["domain"])
	}
	prev := ""
	for _, raw := range layer["techniques"].([]any) {
		tech := raw.(map[string]any)
		id, score := tech["techniqueID"].(string), tech["score"].(float64)
		if id <= prev || score < 0 || score > 4 || tech["enabled"] != true || tech["comment"] == "" {
			t.Errorf("technique %v", tech)
		}
		prev = id
	}
}

func TestExampleAssessment(t *testing.T) {
	t.Parallel()
	a := tds.Assess(shipped(t), exampleInventory(t))
	if len(a.Recommendations) == 0 || a.Recommendations[0].Gain <= 0 {
		t.Fatalf("recommendations = %+v", a.Recommendations)
	}
	for i := 1; i < len(a.Recommendations); i++ {
		if a.Recommendations[i].Score < a.Recommendations[i-1].Score {
			t.Errorf("library score falls from recommendation %d to %d", i, i+1)
		}
	}
	for _, ts := range a.Threats {
		if ts.Score < 0 || ts.Score > 4 {
			t.Errorf("%s score %v out of range", ts.Name, ts.Score)
		}
		if len(ts.CaseTasks()) != ts.Visible {
			t.Errorf("%s: %d tasks for %d visible events", ts.Name, len(ts.CaseTasks()), ts.Visible)
		}
	}
	for _, f := range tds.Formats() {
		if err := a.Render(&bytes.Buffer{}, f); err != nil {
			t.Errorf("Render(%s): %v", f, err)
		}
	}
}

// failingWriter fails every write, to check that render errors are returned.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestRenderWriteError(t *testing.T) {
	t.Parallel()
	a := fixture(t)
	for _, f := range tds.Formats() {
		if err := a.Render(failingWriter{}, f); err == nil {
			t.Errorf("Render(%s) to a failing writer gave no error", f)
		}
	}
}
