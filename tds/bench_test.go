package tds_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/ttp0/drone/tds"
)

// generatedInventory returns a deterministic inventory of n sources: most sensors the
// library names, with varied quality and a share of the fields the library asks of
// them, every fifth sensor left out, and numbered filler sources up to n.
func generatedInventory(lib *tds.Library, n int) *tds.Inventory {
	fields := map[string][]string{}
	var sensors []string
	for _, th := range lib.Threats {
		for _, s := range th.Surfaces {
			for ei := range s.Events {
				e := &s.Events[ei]
				for _, o := range e.Observations {
					for _, sensor := range o.Sensors {
						if _, ok := fields[sensor]; !ok {
							sensors = append(sensors, sensor)
						}
						fields[sensor] = append(fields[sensor], o.Needs(e)...)
					}
				}
			}
		}
	}
	var sources []tds.Source
	for i, sensor := range sensors {
		if i%5 == 4 {
			continue
		}
		f := fields[sensor]
		sources = append(sources, tds.Source{
			Name:    fmt.Sprintf("Org source %03d", i),
			Aliases: []string{sensor, fmt.Sprintf("legacy name %d", i)},
			Fields:  f[:len(f)*(2+i%3)/4],
			Quality: tds.Quality{1 + i%5, 1 + (i+1)%5, 1 + (i+2)%5, 1 + (i+3)%5, i % 6},
		})
	}
	for i := len(sources); i < n; i++ {
		sources = append(sources, tds.Source{
			Name:     fmt.Sprintf("Filler source %03d", i),
			Aliases:  []string{fmt.Sprintf("filler alias %03d", i)},
			Fields:   []string{"user", "host", "source_ip", fmt.Sprintf("field_%d", i)},
			Surfaces: []string{"endpoint", "network"},
			Quality:  quality(1 + i%5),
		})
	}
	return tds.NewInventory(sources...)
}

// BenchmarkAssess is one full assessment, recommendations included, of the shipped
// library against a generated 200-source inventory.
func BenchmarkAssess(b *testing.B) {
	lib := shipped(b)
	inv := generatedInventory(lib, 200)
	b.ReportAllocs()
	for b.Loop() {
		tds.Assess(lib, inv)
	}
}

// BenchmarkNavigatorAll renders the Navigator layer of all threats of an assessment.
func BenchmarkNavigatorAll(b *testing.B) {
	lib := shipped(b)
	a := tds.Assess(lib, generatedInventory(lib, 200))
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Render(io.Discard, "navigator"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssessAndNavigator is the whole export: assess, then write the layer.
func BenchmarkAssessAndNavigator(b *testing.B) {
	lib := shipped(b)
	inv := generatedInventory(lib, 200)
	b.ReportAllocs()
	for b.Loop() {
		if err := tds.Assess(lib, inv).Render(io.Discard, "navigator"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGeneratedInventorySize(t *testing.T) {
	t.Parallel()
	inv := generatedInventory(shipped(t), 200)
	if len(inv.Sources) != 200 {
		t.Fatalf("generated %d sources", len(inv.Sources))
	}
	a := tds.Assess(shipped(t), inv)
	if len(a.Recommendations) == 0 {
		t.Error("the generated inventory leaves nothing to recommend")
	}
}
