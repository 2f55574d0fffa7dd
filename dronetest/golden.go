package dronetest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with what the tests produce")

// Golden compares got with the file at path (relative to the package under
// test, usually under testdata/). With -update it writes got to the file
// instead, creating its directory: run it on purpose, then read the diff.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test -update if the change is intended)%s\n--- got\n%s",
			path, firstDifference(want, got), got)
	}
}

// GoldenJSON is Golden for v as indented JSON, without the HTML escaping of
// encoding/json, so that the file reads as what is sent.
func GoldenJSON(t testing.TB, path string, v any) {
	t.Helper()
	Golden(t, path, IndentJSON(t, v))
}

// IndentJSON returns v as indented JSON without HTML escaping, ending with a
// newline.
func IndentJSON(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// firstDifference names the first line where want and got part.
func firstDifference(want, got []byte) string {
	w, g := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl []byte
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if !bytes.Equal(wl, gl) {
			return fmt.Sprintf("\nfirst difference, line %d:\n  want %q\n  got  %q", i+1, wl, gl)
		}
	}
	return ""
}
