package tds_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/tds"
)

// FuzzLoad feeds arbitrary bytes to the definition and inventory loaders: they must
// return errors or problems, never panic, and whatever loads must score and render.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"../configs/tds/*.yml", "testdata/*/*.yml", "testdata/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("a: &x [*x]"))
	f.Add([]byte("surfaces: {a: {events: {name: e, observations: {name: o, sensors: s}}}}"))
	f.Add([]byte("sources: [{name: a, quality: {timeliness: 99}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		th, _, err := tds.Parse("fuzz.yml", data)
		var p drone.Problem
		if err != nil && !errors.As(err, &p) {
			t.Fatalf("error is not a Problem: %v", err)
		}
		inv, _, _ := tds.ParseInventory("fuzz.yaml", data)
		if th == nil {
			return
		}
		a := tds.AssessWith(tds.NewLibrary(th), inv, tds.Options{MaxRecommendations: 2})
		for _, format := range tds.Formats() {
			if err := a.Render(io.Discard, format); err != nil {
				t.Fatal(err)
			}
		}
		_ = a.Threats[0].Summary()
		if _, err := tds.Marshal(th); err != nil {
			t.Fatal(err)
		}
	})
}
