package notify

import (
	"context"
	"math/rand/v2"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/measure"
)

// TestPrivateIncidentsStayOutOfDigestsAndSummaries is the property over
// what lists incidents rather than routes them: over generated incidents
// (random TLP, some declared private, some closed) in a real store and
// generated targets and rules, no digest of a rule to a target, and no
// channel summary under any summary_tlp, lists or counts a private or RED
// incident unless the audience is cleared for RED; and a RED-cleared
// digest without filters does show them (the test can fail).
func TestPrivateIncidentsStayOutOfDigestsAndSummaries(t *testing.T) {
	h := dronetest.New(t)
	svc := h.Service
	fw := svc.Framework
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 5))
	op := drone.Actor{Platform: "local", ID: "alice"}
	now := time.Now().UTC()
	sensitive := map[string]bool{} // refs of private (or RED) incidents
	for i := range 40 {
		cat := fw.Categories[rng.IntN(len(fw.Categories))]
		in := drone.DeclareInput{Category: cat.Code, Severity: fw.Severities[rng.IntN(len(fw.Severities))].Code,
			TLP: fw.TLP[rng.IntN(len(fw.TLP))], Private: rng.IntN(4) == 0, Overview: "generated incident " + strconv.Itoa(i)}
		inc, _, err := svc.Declare(ctx, op, drone.Origin{Channel: "cli"}, in)
		if err != nil {
			t.Fatal(err)
		}
		if in.Private || in.TLP == "RED" {
			sensitive[inc.Ref()] = true
		}
		if !inc.Private && sensitive[inc.Ref()] {
			t.Fatalf("%s at TLP:%s declared private=%v is not private", inc.Ref(), in.TLP, in.Private)
		}
		if rng.IntN(3) == 0 {
			if _, err := svc.Close(ctx, op, drone.Origin{Channel: "cli"}, inc.Number,
				drone.CloseInput{Resolution: "TruePositive", Summary: "done"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(sensitive) == 0 || len(sensitive) == 40 {
		t.Fatalf("%d of 40 generated incidents are private: the generator tests nothing", len(sensitive))
	}
	tpl, err := NewTemplates(nil)
	if err != nil {
		t.Fatal(err)
	}
	report := func(include func(*drone.Incident) bool) (*measure.Report, string) {
		t.Helper()
		r, err := measure.BuildReport(ctx, svc, measure.ReportInput{Org: "Example Org", From: now.Add(-24 * time.Hour),
			To: now.Add(time.Hour), Now: now, Framework: fw, Targets: svc.Targets, Include: include})
		if err != nil {
			t.Fatal(err)
		}
		text, err := tpl.RenderReport("text", &View{Org: "Example Org", Notice: DigestNotice(r, drone.AudienceLeaders), Report: r, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return r, string(text)
	}
	ref := regexp.MustCompile(`INC-\d+\b`)
	check := func(what, clearance string, r *measure.Report, text string) int {
		t.Helper()
		cleared := fw.TLPRank(clearance) == len(fw.TLP)-1
		shown := 0
		for _, m := range ref.FindAllString(text, -1) {
			if sensitive[m] {
				shown++
				if !cleared {
					t.Fatalf("%s cleared to %s shows the private %s:\n%s", what, clearance, m, text)
				}
			}
		}
		// Every generated incident was declared within the report's
		// span, so Opened is every incident the report kept: what its
		// measures and counts are computed over.
		for _, l := range r.Opened {
			if sensitive[l.Ref] && !cleared {
				t.Fatalf("%s cleared to %s counts the private %s", what, clearance, l.Ref)
			}
		}
		return shown
	}
	for range 100 {
		cfg := randomConfig(rng, fw)
		router := NewRouter(cfg, fw)
		for _, rule := range cfg.Rules {
			for _, name := range rule.Targets {
				tgt, _ := router.Target(name)
				r, text := report(router.DigestIncludes(rule, tgt))
				check("the digest of rule "+rule.Name+" to "+name, tgt.Clearance, r, text)
			}
		}
	}
	for _, ceiling := range fw.TLP {
		r, text := report(SummaryIncludes(fw, ceiling))
		check("the summary at summary_tlp "+ceiling, ceiling, r, text)
	}
	all := Rule{Name: "all", Events: []string{EventDigest}}
	r, text := report(NewRouter(Config{}, fw).DigestIncludes(all, Target{Clearance: "RED"}))
	if check("a RED digest", "RED", r, text) == 0 {
		t.Fatalf("a digest cleared for RED shows no private incident: the property is vacuous:\n%s", text)
	}
}
