package cortex_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ttp0/drone/cortex"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

var (
	tlps    = []string{"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"}
	paps    = []string{"CLEAR", "GREEN", "AMBER", "RED"}
	reaches = []cortex.Reach{cortex.ReachInternal, cortex.ReachPassive, cortex.ReachActive}
)

// oracle is the PAP and TLP rule written out again, apart from the code
// under test: PAP:RED keeps everything inside, PAP:AMBER allows passive
// look-ups, PAP:GREEN and CLEAR allow active ones; an internal value is
// kept inside; the TLP must not exceed the analyzer's max_tlp.
func oracle(a cortex.Analyzer, tlp, pap string, internal bool) bool {
	papOK := map[cortex.Reach][]string{
		cortex.ReachInternal: {"CLEAR", "GREEN", "AMBER", "RED"},
		cortex.ReachPassive:  {"CLEAR", "GREEN", "AMBER"},
		cortex.ReachActive:   {"CLEAR", "GREEN"},
	}[a.Reach]
	if internal && a.Reach != cortex.ReachInternal {
		return false
	}
	max := a.MaxTLP
	if max == "" {
		max = "AMBER"
	}
	return slices.Contains(papOK, pap) && slices.Index(tlps, tlp) >= 0 && slices.Index(tlps, tlp) <= slices.Index(tlps, max)
}

// TestAllowedMatchesTheRule checks Allowed against the rule for every
// reach, max_tlp, TLP and PAP, and that unknown markings allow nothing.
func TestAllowedMatchesTheRule(t *testing.T) {
	t.Parallel()
	for _, r := range reaches {
		for _, max := range append(tlps, "") {
			a := cortex.Analyzer{Name: "A", Reach: r, MaxTLP: max}
			for _, tlp := range append(tlps, "", "PURPLE") {
				for _, pap := range append(paps, "", "AMBER+STRICT", "BLUE") {
					ok, why := cortex.Allowed(a, tlp, pap)
					if want := oracle(a, tlp, pap, false); ok != want {
						t.Errorf("Allowed(%s max %q, TLP %q, PAP %q) = %v (%s), want %v", r, max, tlp, pap, ok, why, want)
					}
					if !ok && why == "" {
						t.Errorf("Allowed(%s, %q, %q) refuses without a reason", r, tlp, pap)
					}
				}
			}
		}
	}
	// Names are read as people write them.
	if ok, why := cortex.Allowed(cortex.Analyzer{Reach: cortex.ReachPassive}, "tlp:white", "pap:amber"); !ok {
		t.Errorf("TLP:WHITE, PAP:AMBER refused for a passive analyzer: %s", why)
	}
}

// values are the pool the property test draws observables from: public
// values of each type and internal ones (private addresses).
var values = []drone.TypedValue{
	{Type: ioc.IPv4, Value: "203.0.113.7"}, {Type: ioc.IPv4, Value: "198.51.100.23"},
	{Type: ioc.IPv4, Value: "10.20.30.40"}, {Type: ioc.IPv4, Value: "192.168.1.9"},
	{Type: ioc.Domain, Value: "login-examp1e.com"}, {Type: ioc.Domain, Value: "cdn-evil.net"},
	{Type: ioc.URL, Value: "https://login-examp1e.com/o365"}, {Type: ioc.URL, Value: "http://cdn-evil.net/x.exe"},
	{Type: ioc.SHA256, Value: "e81a9485b38ebdc5503c0f52be2341e22431ebff2f1370340d91962a91b4201f"},
}

var cortexType = map[ioc.Type]string{ioc.IPv4: "ip", ioc.Domain: "domain", ioc.URL: "url", ioc.SHA256: "hash"}

// TestNothingForbiddenReachesCortex is the property: over generated
// analyzers and incidents of every TLP and PAP, the stand-in receives
// exactly the (observable, analyzer) pairs the rule allows, and no other,
// with the markings sent as Cortex numbers no looser than the incident's.
func TestNothingForbiddenReachesCortex(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			rnd := rand.New(rand.NewPCG(seed, 0x5eed))
			analyzers := genAnalyzers(rnd)
			b := setup(t, analyzers)
			type obsKey struct {
				inc string
				id  int64
			}
			type marked struct {
				obs      drone.Observable
				tlp, pap string
			}
			all := map[obsKey]marked{}
			for i := 0; i < 8; i++ {
				tlp, pap := tlps[rnd.IntN(len(tlps))], paps[rnd.IntN(len(paps))]
				in := incident(pap, pick(rnd, values, 1+rnd.IntN(4))...)
				in.TLP = tlp
				inc := b.declare(t, in)
				for _, o := range b.h.Record(inc.Number).Observables {
					all[obsKey{inc.ID, o.ID}] = marked{o, tlp, pap}
				}
			}
			b.work(t)

			got := map[string]bool{}
			for _, r := range b.srv.Runs() {
				var k obsKey
				if _, err := fmt.Sscanf(r.Message[strings.Index(r.Message, "drone:"):], "drone:%36s/%d)", &k.inc, &k.id); err != nil {
					t.Fatalf("run %+v: no mark: %v", r, err)
				}
				m, ok := all[k]
				if !ok {
					t.Fatalf("run %+v names no observable drone holds", r)
				}
				a := analyzers[slices.IndexFunc(analyzers, func(a cortex.Analyzer) bool { return a.Name == r.AnalyzerName })]
				if !oracle(a, m.tlp, m.pap, m.obs.Internal) {
					t.Errorf("%s (%s, TLP:%s PAP:%s internal %v) reached %s analyzer %s (max_tlp %s)",
						m.obs.Value, m.obs.Type, m.tlp, m.pap, m.obs.Internal, a.Reach, a.Name, a.MaxTLP)
				}
				if r.PAP < slices.Index(paps, m.pap) && m.pap != "CLEAR" || r.TLP < min(slices.Index(tlps, m.tlp), 3) {
					t.Errorf("run %+v sent looser markings than TLP:%s PAP:%s", r, m.tlp, m.pap)
				}
				key := fmt.Sprint(k, a.Name)
				if got[key] {
					t.Errorf("%s ran twice on %s", a.Name, m.obs.Value)
				}
				got[key] = true
			}
			want := 0
			for k, m := range all {
				for _, a := range analyzers {
					if !slices.Contains(a.DataTypes, cortexType[m.obs.Type]) || !oracle(a, m.tlp, m.pap, m.obs.Internal) {
						continue
					}
					want++
					if !got[fmt.Sprint(k, a.Name)] {
						t.Errorf("%s (TLP:%s PAP:%s) never reached %s analyzer %s, which the rule allows", m.obs.Value, m.tlp, m.pap, a.Reach, a.Name)
					}
				}
			}
			if want == 0 {
				t.Fatal("the generated case allows nothing: the property says nothing")
			}
			t.Logf("%d incidents, %d observables, %d analyzers: %d analyses allowed and run, %d other pairs (type not taken, or refused)",
				8, len(all), len(analyzers), want, len(all)*len(analyzers)-want)
			b.h.NoDeadJobs()
		})
	}
}

func genAnalyzers(rnd *rand.Rand) []cortex.Analyzer {
	types := []string{"ip", "domain", "url", "hash"}
	var out []cortex.Analyzer
	for i := 0; i < 3+rnd.IntN(4); i++ {
		out = append(out, cortex.Analyzer{Name: fmt.Sprintf("Gen%d_1_0", i), DataTypes: pick(rnd, types, 1+rnd.IntN(len(types))),
			Reach: reaches[rnd.IntN(len(reaches))], MaxTLP: tlps[rnd.IntN(len(tlps))]})
	}
	// One of each reach at least, taking everything, so every rule is tried.
	for _, r := range reaches {
		out = append(out, cortex.Analyzer{Name: "All_" + string(r), DataTypes: types, Reach: r, MaxTLP: "RED"})
	}
	return out
}

func pick[T any](rnd *rand.Rand, from []T, n int) []T {
	p := rnd.Perm(len(from))[:min(n, len(from))]
	out := make([]T, len(p))
	for i, j := range p {
		out[i] = from[j]
	}
	return out
}
