package notify

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/notify/email"
)

// randomConfig makes targets with random clearances and rules with random
// filters, ceilings and targets; some rules break the clearance rule on
// purpose, so that the router is checked without Validate's help.
func randomConfig(rng *rand.Rand, fw drone.Framework) Config {
	var c Config
	c.Email.Host, c.Email.From = "relay.example.org", "drone@example.org"
	for i := range 1 + rng.IntN(5) {
		t := Target{Name: "t" + string(rune('a'+i)), Medium: drone.MediumEmail, Clearance: fw.TLP[rng.IntN(len(fw.TLP))]}
		for j := range 1 + rng.IntN(3) {
			t.To = append(t.To, t.Name+string(rune('0'+j))+"@example.org")
		}
		c.Targets = append(c.Targets, t)
	}
	for i := range 1 + rng.IntN(6) {
		r := Rule{Name: "r" + string(rune('a'+i)), Events: []string{"all"}, Audience: drone.AudienceResponders}
		if rng.IntN(2) == 0 {
			r.MaxTLP = fw.TLP[rng.IntN(len(fw.TLP))]
		}
		if rng.IntN(3) == 0 {
			r.MinSeverity = fw.Severities[rng.IntN(len(fw.Severities))].Name
		}
		if rng.IntN(3) == 0 {
			r.Categories = []string{fw.Categories[rng.IntN(len(fw.Categories))].Code}
		}
		if rng.IntN(2) == 0 {
			r.Audience = drone.AudienceLeaders
		}
		for _, t := range c.Targets {
			if rng.IntN(2) == 0 {
				r.Targets = append(r.Targets, t.Name)
			}
		}
		if len(r.Targets) == 0 {
			r.Targets = []string{c.Targets[0].Name}
		}
		c.Rules = append(c.Rules, r)
	}
	return c
}

func randomIncident(rng *rand.Rand, fw drone.Framework) *drone.Incident {
	sev := fw.Severities[rng.IntN(len(fw.Severities))]
	cat := fw.Categories[rng.IntN(len(fw.Categories))]
	return &drone.Incident{ID: "id", Number: 1, Severity: atoi(sev.Code), SeverityName: sev.Name, Category: cat.Code,
		CategoryName: cat.Name, TLP: fw.TLP[rng.IntN(len(fw.TLP))], Status: drone.StatusOpen, Private: rng.IntN(4) == 0}
}

// tooSensitive reports whether inc is above a clearance: its TLP is, or it
// is private (declared so, or RED) and the clearance is not RED. The test
// says the rule in its own words rather than calling Sensitivity.
func tooSensitive(fw drone.Framework, inc *drone.Incident, clearance string) bool {
	red := len(fw.TLP) - 1
	if inc.Private || strings.EqualFold(inc.TLP, "RED") {
		return fw.TLPRank(clearance) < red
	}
	return fw.TLPRank(inc.TLP) > fw.TLPRank(clearance)
}

// TestNothingAboveClearanceIsEverRouted is the routing property: over random
// incidents (some private) and rules, no delivery goes to a target whose
// clearance is below the incident's TLP, nor a private incident to a
// target not cleared for RED; and whenever Validate accepts a configuration,
// the rules alone (without the router's own check) would never have sent
// one, so config check refuses every rule that could.
func TestNothingAboveClearanceIsEverRouted(t *testing.T) {
	fw := drone.DefaultFramework()
	rng := rand.New(rand.NewPCG(7, 11))
	valid, routed, privateRouted := 0, 0, 0
	for range 1000 {
		cfg := randomConfig(rng, fw)
		r := NewRouter(cfg, fw)
		ok := cfg.ValidateFor(fw, nil) == nil
		if ok {
			valid++
		}
		for range 10 {
			inc := randomIncident(rng, fw)
			for _, kind := range EventKinds {
				for _, d := range r.Route(kind, inc) {
					routed++
					tgt, _ := r.Target(d.Target)
					if tooSensitive(fw, inc, tgt.Clearance) {
						t.Fatalf("TLP:%s incident (private %v) routed to %s cleared to %s", inc.TLP, inc.Private, d.Target, tgt.Clearance)
					}
					if inc.Private {
						privateRouted++
					}
				}
				if !ok {
					continue
				}
				for _, rule := range cfg.Rules {
					if !r.Matches(rule, kind, inc) {
						continue
					}
					for _, name := range rule.Targets {
						tgt, _ := r.Target(name)
						if tooSensitive(fw, inc, tgt.Clearance) {
							t.Fatalf("Validate accepted rule %+v, which matches a TLP:%s incident (private %v) for %s cleared to %s",
								rule, inc.TLP, inc.Private, name, tgt.Clearance)
						}
					}
				}
			}
		}
	}
	if valid == 0 || routed == 0 || privateRouted == 0 {
		t.Fatalf("the generator made %d valid configurations, %d deliveries, %d of private incidents: it tests nothing",
			valid, routed, privateRouted)
	}
}

func TestRouteDeduplicatesAddressesPreferringResponders(t *testing.T) {
	fw := drone.DefaultFramework()
	cfg := Config{Targets: []Target{
		{Name: "soc", Medium: drone.MediumEmail, To: []string{"soc@example.org", "ciso@example.org"}, Clearance: "RED"},
		{Name: "board", Medium: drone.MediumEmail, To: []string{"ciso@example.org"}, Clearance: "AMBER"},
	}, Rules: []Rule{
		{Name: "leaders", Events: []string{EventDeclared}, MaxTLP: "AMBER", Targets: []string{"board"}, Audience: drone.AudienceLeaders},
		{Name: "soc", Events: []string{"all"}, MinSeverity: "HIGH", Targets: []string{"soc"}, Audience: drone.AudienceResponders},
	}}
	r := NewRouter(cfg, fw)
	inc := &drone.Incident{Severity: 3, SeverityName: "HIGH", Category: "CAT1", TLP: "AMBER"}
	ds := r.Route(EventDeclared, inc)
	if len(ds) != 2 {
		t.Fatalf("deliveries %+v, want 2", ds)
	}
	for _, d := range ds {
		if d.Address == "ciso@example.org" && d.Audience != drone.AudienceResponders {
			t.Fatalf("ciso gets %s, want responders", d.Audience)
		}
	}
	if ds := r.Route(EventDeclared, &drone.Incident{Severity: 1, TLP: "RED"}); len(ds) != 0 {
		t.Fatalf("a LOW RED incident went to %+v", ds)
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	cfg := Config{
		Email: emailOn(),
		Targets: []Target{
			{Name: "leaders", Medium: drone.MediumEmail, To: []string{"ciso@example.org"}, Clearance: "GREEN"},
			{Name: "ops", Medium: drone.MediumSlack, To: []string{"C0123ABCD", "https://hooks.slack.com/services/T1/B1/x"}, Clearance: "AMBER"},
			{Name: "bad", Medium: "pager", To: []string{"x"}, Clearance: "PURPLE"},
			{Name: "chat", Medium: drone.MediumDiscord, Clearance: "AMBER",
				To: []string{"#general", "http://discord.example.com/api/webhooks/1/t", "http://127.0.0.1:8080/api/webhooks/1/t", "123456789012345678"}},
		},
		Rules: []Rule{
			{Name: "leaders", Events: []string{EventDeclared}, Targets: []string{"leaders"}, Audience: drone.AudienceLeaders},
			{Name: "ops", Events: []string{"declared", "explosion"}, MaxTLP: "AMBER", Targets: []string{"ops", "nobody"}},
		},
		Digest: Digest{Times: []string{"8am"}, TimeZone: "Mars/Olympus"},
	}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken configuration")
	}
	for _, want := range []string{
		"could send TLP:RED incidents to leaders, which is cleared only to TLP:GREEN",
		"sends to slack, but no slack medium is on",
		`medium "pager"`, `clearance "PURPLE"`, `unknown event "explosion"`, `there is no target "nobody"`,
		`"8am" must be HH:MM`, "Mars/Olympus",
		`"#general" is not a Discord channel id`, `"http://discord.example.com/api/webhooks/1/t" is not an https webhook URL`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate's report lacks %q:\n%v", want, err)
		}
	}
	for _, fine := range []string{"C0123ABCD", "hooks.slack.com", "127.0.0.1", "123456789012345678"} {
		if strings.Contains(err.Error(), fine) {
			t.Errorf("Validate refused a good address (%s):\n%v", fine, err)
		}
	}
	cfg.Rules[0].MaxTLP = "GREEN"
	if err := cfg.ValidateFor(drone.DefaultFramework(), map[string]bool{drone.MediumSlack: true}); err == nil ||
		strings.Contains(err.Error(), "could send") || strings.Contains(err.Error(), "no slack medium") {
		t.Fatalf("after the fixes: %v", err)
	}
}

func emailOn() (c email.Config) {
	c.Host, c.From = "relay.example.org", "drone <drone@example.org>"
	return c
}
