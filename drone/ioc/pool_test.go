package ioc_test

import (
	"reflect"
	"sync"
	"testing"

	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/drone/ioc/ioctest"
)

// TestExtractionsShareNothing extracts the corpus from several goroutines
// at once, each in its own order, and gets what one extraction at a time
// gets: the scanners reused between extractions carry nothing over.
func TestExtractionsShareNothing(t *testing.T) {
	cases, err := ioctest.LoadCorpus(ioctest.CorpusPath())
	if err != nil {
		t.Fatal(err)
	}
	var e ioc.Extractor
	want := make([]ioc.Result, len(cases))
	for i, c := range cases {
		want[i] = e.Extract(c.Text)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range cases {
				i := (k*(2*g+1) + g) % len(cases) // a different order per goroutine
				if got := e.Extract(cases[i].Text); !reflect.DeepEqual(got, want[i]) {
					t.Errorf("goroutine %d, case %s: extraction differs from the sequential one", g, cases[i].ID)
					return
				}
			}
		}()
	}
	wg.Wait()
}
