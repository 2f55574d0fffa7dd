package ioc_test

import (
	"strings"
	"testing"

	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/drone/ioc/ioctest"
)

func corpusText(b *testing.B) []string {
	cases, err := ioctest.LoadCorpus(ioctest.CorpusPath())
	if err != nil {
		b.Fatal(err)
	}
	texts := make([]string, len(cases))
	for i, c := range cases {
		texts[i] = c.Text
	}
	return texts
}

// BenchmarkExtract extracts from each text of the labelled corpus, a mix
// dense in indicators (logs, reports, chat).
func BenchmarkExtract(b *testing.B) {
	texts := corpusText(b)
	n := 0
	for _, t := range texts {
		n += len(t)
	}
	var e ioc.Extractor
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, t := range texts {
			e.Extract(t)
		}
	}
}

// BenchmarkExtractProse extracts from one long text of plain prose with
// few indicators, the common case of a chat channel or a report body.
func BenchmarkExtractProse(b *testing.B) {
	para := "The incident response team reviewed the timeline with the affected business unit and " +
		"agreed that the initial access happened through a phishing message; the user opened the " +
		"attachment, which reached out to update-check[.]net before the EDR isolated the host. "
	text := strings.Repeat(para, 2000)
	var e ioc.Extractor
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		e.Extract(text)
	}
}

// BenchmarkRefang refangs the corpus texts.
func BenchmarkRefang(b *testing.B) {
	texts := corpusText(b)
	n := 0
	for _, t := range texts {
		n += len(t)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, t := range texts {
			ioc.Refang(t)
		}
	}
}
