// Package ioctest holds the labelled corpus of package ioc and the scoring
// that the corpus test and the benchmark program (bench/ioc) share.
package ioctest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ttp0/drone/drone/ioc"
)

// Case is one labelled text of the corpus.
type Case struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // report, syslog, firewall, proxy, winevent, email, slack, discord, trap
	Text string `json:"text"`
	IOCs []IOC  `json:"iocs"` // every indicator of the text, in normal form
}

// IOC is an expected or found indicator.
type IOC struct {
	Type  ioc.Type `json:"type"`
	Value string   `json:"value"`
}

// CorpusPath is the path of the labelled corpus (drone/ioc/testdata/corpus.jsonl)
// in the source tree this package was built from.
func CorpusPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "corpus.jsonl")
}

// LoadCorpus reads a corpus in JSON lines, one Case per line.
func LoadCorpus(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cases []Case
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var c Case
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		cases = append(cases, c)
	}
	return cases, sc.Err()
}

// Found converts what Extract returned to IOCs.
func Found(r ioc.Result) []IOC {
	out := make([]IOC, len(r.Indicators))
	for i, ind := range r.Indicators {
		out[i] = IOC{ind.Type, ind.Value}
	}
	return out
}

// Miss is a false positive or a false negative of one case.
type Miss struct {
	Case string
	IOC
}

// Score counts true positives, false positives and false negatives.
type Score struct {
	TP, FP, FN int
	FPs, FNs   []Miss
}

// Add adds the counts of another score.
func (s *Score) Add(o Score) {
	s.TP += o.TP
	s.FP += o.FP
	s.FN += o.FN
	s.FPs = append(s.FPs, o.FPs...)
	s.FNs = append(s.FNs, o.FNs...)
}

// Precision is TP / (TP + FP), 1 when nothing was found.
func (s Score) Precision() float64 {
	if s.TP+s.FP == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FP)
}

// Recall is TP / (TP + FN), 1 when nothing was expected.
func (s Score) Recall() float64 {
	if s.TP+s.FN == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FN)
}

// Compare scores what a tool found in a case against its labels. Duplicates
// count once. A domain or address found that is the host of an expected URL
// or the domain of an expected e-mail address is neither right nor wrong:
// the labels list a URL once, and tools that also report its host are not
// penalised for it. Only the types in keep count (all when keep is nil).
func Compare(c Case, found []IOC, keep map[ioc.Type]bool) Score {
	want := map[IOC]bool{}
	hosts := map[string]bool{}
	for _, w := range c.IOCs {
		if keep != nil && !keep[w.Type] {
			continue
		}
		want[w] = true
	}
	for _, w := range c.IOCs {
		switch w.Type {
		case ioc.URL:
			hosts[strings.Trim(urlHost(w.Value), "[]")] = true
		case ioc.Email:
			hosts[w.Value[strings.LastIndexByte(w.Value, '@')+1:]] = true
		}
	}
	var s Score
	seen := map[IOC]bool{}
	for _, f := range found {
		if seen[f] || keep != nil && !keep[f.Type] {
			continue
		}
		seen[f] = true
		switch {
		case want[f]:
			s.TP++
		case (f.Type == ioc.Domain || f.Type == ioc.IPv4 || f.Type == ioc.IPv6) && hosts[f.Value]:
		default:
			s.FP++
			s.FPs = append(s.FPs, Miss{c.ID, f})
		}
	}
	for w := range want {
		if !seen[w] {
			s.FN++
			s.FNs = append(s.FNs, Miss{c.ID, w})
		}
	}
	return s
}

func urlHost(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	a := u[i+3:]
	if j := strings.IndexAny(a, "/?#"); j >= 0 {
		a = a[:j]
	}
	a = a[strings.LastIndexByte(a, '@')+1:]
	if strings.HasPrefix(a, "[") {
		return a[:strings.IndexByte(a, ']')+1]
	}
	if j := strings.IndexByte(a, ':'); j >= 0 {
		a = a[:j]
	}
	return strings.ToLower(a)
}
