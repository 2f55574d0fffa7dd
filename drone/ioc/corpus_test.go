package ioc_test

import (
	"sort"
	"testing"

	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/drone/ioc/ioctest"
)

// TestCorpus runs the extractor over the labelled corpus and fails below
// precision 0.98 or recall 0.95. Run with -v to see every miss.
func TestCorpus(t *testing.T) {
	cases, err := ioctest.LoadCorpus(ioctest.CorpusPath())
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 300 {
		t.Fatalf("corpus has %d cases, want at least 300", len(cases))
	}
	var e ioc.Extractor
	var total ioctest.Score
	perType := map[ioc.Type]*ioctest.Score{}
	for _, c := range cases {
		found := ioctest.Found(e.Extract(c.Text))
		s := ioctest.Compare(c, found, nil)
		total.Add(s)
		for _, typ := range ioc.Types {
			ts := ioctest.Compare(c, found, map[ioc.Type]bool{typ: true})
			if perType[typ] == nil {
				perType[typ] = &ioctest.Score{}
			}
			perType[typ].Add(ts)
		}
	}
	for _, m := range total.FPs {
		t.Logf("false positive %s: %s %q", m.Case, m.Type, m.Value)
	}
	for _, m := range total.FNs {
		t.Logf("false negative %s: %s %q", m.Case, m.Type, m.Value)
	}
	types := make([]string, 0, len(perType))
	for typ, s := range perType {
		if s.TP+s.FP+s.FN > 0 {
			types = append(types, string(typ))
		}
	}
	sort.Strings(types)
	for _, typ := range types {
		s := perType[ioc.Type(typ)]
		t.Logf("%-17s tp=%-4d fp=%-3d fn=%-3d precision=%.3f recall=%.3f", typ, s.TP, s.FP, s.FN, s.Precision(), s.Recall())
	}
	t.Logf("corpus: %d cases, %d labelled indicators; precision %.4f, recall %.4f",
		len(cases), total.TP+total.FN, total.Precision(), total.Recall())
	if total.Precision() < 0.98 || total.Recall() < 0.95 {
		t.Errorf("precision %.4f (want >= 0.98), recall %.4f (want >= 0.95)", total.Precision(), total.Recall())
	}
}
