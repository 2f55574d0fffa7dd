package ioc_test

import (
	"strings"
	"testing"

	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/drone/ioc/ioctest"
)

func addSeeds(f *testing.F) {
	cases, err := ioctest.LoadCorpus(ioctest.CorpusPath())
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range cases {
		f.Add(c.Text)
	}
	for _, s := range []string{"", "[", "<|>", "[a](b://", "h**p://[.]", "bob at x dot com", "::", "HKLM\\ \\",
		"1.2.3.4/33", "[:][:]1", "x@y@z.com", "http://[::1]:99999/", "AS 0", "bc1", "\\\\.\\"} {
		f.Add(s)
	}
}

// has reports whether r holds an indicator of type t and value v.
func has(r ioc.Result, t ioc.Type, v string) bool {
	for _, ind := range r.Indicators {
		if ind.Type == t && ind.Value == v {
			return true
		}
	}
	return false
}

// FuzzExtract checks that Extract never panics, that offsets and raw text
// agree with the input, that values are unique, and that every value
// extracts to itself with the same type.
func FuzzExtract(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		var e ioc.Extractor
		r := e.Extract(text)
		seen := map[ioctest.IOC]bool{}
		for _, ind := range r.Indicators {
			k := ioctest.IOC{Type: ind.Type, Value: ind.Value}
			if seen[k] {
				t.Fatalf("duplicate %v in %q", k, text)
			}
			seen[k] = true
			if ind.Offset < 0 || ind.Offset+len(ind.Raw) > len(text) || text[ind.Offset:ind.Offset+len(ind.Raw)] != ind.Raw {
				t.Fatalf("raw %q at %d does not match the text %q", ind.Raw, ind.Offset, text)
			}
			if again := e.Extract(ind.Value); !has(again, ind.Type, ind.Value) {
				t.Fatalf("%s %q (raw %q in %q) re-extracts as %+v", ind.Type, ind.Value, ind.Raw, text, again)
			}
		}
		for _, rej := range r.Rejected {
			if rej.Offset < 0 || rej.Offset+len(rej.Raw) > len(text) || text[rej.Offset:rej.Offset+len(rej.Raw)] != rej.Raw || rej.Reason == "" {
				t.Fatalf("rejection %+v does not match the text %q", rej, text)
			}
		}
	})
}

// FuzzDefang checks that the defanged form of every value found is safe
// (no bare dot, '@' or http scheme left where there was one) and gives the
// value back through Extract and Refang.
func FuzzDefang(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		var e ioc.Extractor
		for _, ind := range e.Extract(text).Indicators {
			d := ioc.Defang(ind.Type, ind.Value)
			switch ind.Type {
			case ioc.Domain, ioc.IPv4, ioc.Email, ioc.File:
				if strings.Contains(d, ".") && !strings.Contains(d, "[.]") || strings.Contains(strings.ReplaceAll(d, "[@]", ""), "@") {
					t.Fatalf("Defang(%s, %q) = %q is not safe", ind.Type, ind.Value, d)
				}
			case ioc.URL:
				if l := strings.ToLower(d); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "ftp://") {
					t.Fatalf("Defang(%s, %q) = %q is not safe", ind.Type, ind.Value, d)
				}
			}
			if got := ioc.Refang(d); got != ind.Value {
				t.Fatalf("Refang(Defang(%s, %q)) = %q (defanged %q)", ind.Type, ind.Value, got, d)
			}
			if again := e.Extract(d); !has(again, ind.Type, ind.Value) {
				t.Fatalf("Extract(Defang(%s, %q) = %q) = %+v", ind.Type, ind.Value, d, again)
			}
		}
	})
}
