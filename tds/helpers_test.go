package tds_test

import (
	"math"
	"testing"

	"github.com/ttp0/drone/configs"
	"github.com/ttp0/drone/tds"
)

// shipped loads the embedded library and fails on any problem.
func shipped(t testing.TB) *tds.Library {
	t.Helper()
	lib, problems, err := tds.LoadLibrary(configs.TDS, "tds")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("shipped definition: %s", p)
	}
	return lib
}

// exampleInventory loads configs/inventory.example.yaml and fails on any problem.
func exampleInventory(t testing.TB) *tds.Inventory {
	t.Helper()
	inv, problems, err := tds.LoadInventory("../configs/inventory.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("example inventory: %s", p)
	}
	return inv
}

func near(got, want float64) bool { return math.Abs(got-want) < 1e-9 }

func quality(v int) tds.Quality { return tds.Quality{v, v, v, v, v} }
