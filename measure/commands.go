package measure

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
)

// ParsePeriod reads a period such as "90m", "24h", "7d" or "2w".
func ParsePeriod(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	if len(s) > 1 {
		if u, ok := unit[s[len(s)-1]]; ok {
			n, err := strconv.ParseFloat(s[:len(s)-1], 64)
			if err == nil && n > 0 {
				return time.Duration(n * float64(u)), nil
			}
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, drone.Errorf(drone.EINVALID, "%q is not a period such as 24h, 7d or 2w", s)
	}
	return d, nil
}

// Extensions are the measures' commands of drone's grammar: reportable
// and reported.
func (m *Measures) Extensions() []drone.Extension {
	return []drone.Extension{
		{CommandSpec: drone.CommandSpec{Name: "reportable", Usage: "reportable [INC-n] [NOTE]",
			Summary: "mark an incident reportable to an authority: the regulatory clocks start"},
			Options: []drone.ExtensionOption{{Name: "incident", Incident: true}, {Name: "note", Description: "Why it is reportable", MaxLength: 1000}},
			Run:     m.Reportable},
		{CommandSpec: drone.CommandSpec{Name: "reported", Usage: "reported [INC-n] REGIME",
			Summary: "record that the incident was reported under a regime (GDPR, NIS2...)"},
			Options: []drone.ExtensionOption{{Name: "incident", Incident: true},
				{Name: "regime", Description: "The regime reported under, such as GDPR or NIS2", Required: true, MaxLength: 100}},
			Run: m.Reported},
	}
}

// Reportable runs "/drone reportable INC-n [aware=TIME] [NOTE]", which
// starts the regulatory clocks.
func (m *Measures) Reportable(ctx context.Context, a drone.Actor, o drone.Origin, cmd drone.Command) (*drone.Reply, error) {
	if cmd.Ref == 0 {
		return nil, drone.Errorf(drone.EINVALID, "usage: reportable INC-n [aware=2026-03-01T08:00:00Z] [NOTE]")
	}
	in := drone.ReportableInput{Note: strings.Join(cmd.Args, " ")}
	if s := cmd.Flags["aware"]; s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, drone.Errorf(drone.EINVALID, "aware=%q must be a time such as 2026-03-01T08:00:00Z", s)
		}
		in.AwareAt = t
	}
	inc, err := m.svc.MarkReportable(ctx, a, o, cmd.Ref, in)
	if err != nil {
		return nil, err
	}
	aware, _ := inc.AwareAt()
	var lines []string
	for _, k := range m.clocks {
		lines = append(lines, fmt.Sprintf("%s due %s", k.Name, aware.Add(k.Deadline).Format("2006-01-02 15:04 MST")))
	}
	text := inc.Ref() + " is reportable."
	if len(lines) > 0 {
		text += " Deadlines: " + strings.Join(lines, "; ")
	}
	return &drone.Reply{Text: text, Incident: inc, Public: true}, nil
}

// Reported runs "/drone reported INC-n REGIME [NOTE]", which records that
// the report under one regulatory clock was made.
func (m *Measures) Reported(ctx context.Context, a drone.Actor, o drone.Origin, cmd drone.Command) (*drone.Reply, error) {
	if cmd.Ref == 0 || len(cmd.Args) == 0 {
		return nil, drone.Errorf(drone.EINVALID, "usage: reported INC-n REGIME [NOTE], a regime being one of: %s", m.clockNames())
	}
	regime, note := m.matchClock(cmd.Args)
	if regime == "" {
		return nil, drone.Errorf(drone.EINVALID, "unknown regime %q; regimes: %s", cmd.Args[0], m.clockNames())
	}
	inc, err := m.svc.MarkReported(ctx, a, o, cmd.Ref, regime, note)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("%s reported under %s", inc.Ref(), regime)
	if aware, ok := inc.AwareAt(); ok {
		for _, k := range m.clocks {
			if k.Name == regime {
				due := aware.Add(k.Deadline)
				if m.now().After(due) {
					text += fmt.Sprintf(", %s after the deadline", Human(m.now().Sub(due)))
				} else {
					text += fmt.Sprintf(", %s before the deadline", Human(due.Sub(m.now())))
				}
			}
		}
	}
	return &drone.Reply{Text: text, Incident: inc, Public: true}, nil
}

// matchClock finds the clock named by the leading words of args (names may
// hold spaces: "NIS2 early warning") and returns it with the rest.
func (m *Measures) matchClock(args []string) (string, string) {
	for i := len(args); i > 0; i-- {
		name := strings.Join(args[:i], " ")
		for _, k := range m.clocks {
			if strings.EqualFold(k.Name, name) {
				return k.Name, strings.Join(args[i:], " ")
			}
		}
	}
	return "", ""
}

func (m *Measures) clockNames() string {
	var names []string
	for _, k := range m.clocks {
		names = append(names, k.Name)
	}
	if len(names) == 0 {
		return "none configured (notify.regulatory.clocks)"
	}
	return strings.Join(names, ", ")
}
