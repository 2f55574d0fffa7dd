package tds

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// formats are the output formats of Render.
var formats = []string{"table", "json", "markdown", "navigator"}

// Formats returns the output formats Render accepts.
func Formats() []string { return append([]string(nil), formats...) }

// Render writes the assessment to w as "table" (aligned text), "json", "markdown",
// or "navigator" (an ATT&CK Navigator layer, format 4.5).
func (a *Assessment) Render(w io.Writer, format string) error {
	var err error
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "table", "text":
		err = a.renderTable(w)
	case "json":
		err = writeJSON(w, a)
	case "markdown", "md":
		err = a.renderMarkdown(w)
	case "navigator", "layer":
		err = writeJSON(w, a.Navigator())
	default:
		return fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(formats, ", "))
	}
	if err != nil {
		return fmt.Errorf("rendering %s: %w", format, err)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// errWriter keeps the first write error so rendering code can write freely.
type errWriter struct {
	w   io.Writer
	err error
}

// Write writes p unless an earlier write failed.
func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }

func (a *Assessment) title() string {
	inv := a.Inventory
	if inv == "" {
		inv = "the inventory"
	}
	return fmt.Sprintf("Threat Driven Security: %d threats against %s (%d sources)", len(a.Threats), inv, a.Sources)
}

func (a *Assessment) assumption() string {
	return fmt.Sprintf("each added source is assumed at quality %d in every dimension and to carry the fields the definitions need",
		a.NominalQuality)
}

func (a *Assessment) renderTable(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("%s\nLibrary visibility: %s/4 (scores 0-4; an event is visible from %.1f)\n\n", a.title(), a.Score, VisibleAt)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "THREAT\tVERSION\tSCORE\tVISIBLE\tFIRST VISIBLE\tBLIND EARLIER\tBEST ADDITION")
	for _, ts := range a.Threats {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\t%d\t%s\n", ts.Name, ts.Version, ts.Score, ts.Visible,
			len(ts.Events), firstLabel(ts), len(ts.BlindBefore), additionLabel(ts.BestAddition))
	}
	tw.Flush()
	for _, ts := range a.Threats {
		ew.printf("\n%s %s: %s/4\n", ts.Name, ts.Version, ts.Score)
		tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  STAGE\tSURFACE\tEVENT\tSCORE\tSOURCES\tMISSING")
		for _, es := range ts.Events {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", es.Stage.Label(), es.Surface, es.Event, es.Score,
				dash(strings.Join(bestSources(es), ", ")), dash(strings.Join(es.Missing, ", ")))
		}
		tw.Flush()
	}
	a.tableRecommendations(ew)
	for _, n := range a.Notes {
		ew.printf("\nNote: %s\n", n)
	}
	return ew.err
}

func (a *Assessment) tableRecommendations(ew *errWriter) {
	if len(a.Recommendations) == 0 {
		return
	}
	ew.printf("\nRecommended log sources, best first (%s):\n", a.assumption())
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tLOG SOURCE\tGAIN\tLIBRARY SCORE\tNEWLY VISIBLE\tTHREATS")
	for i, r := range a.Recommendations {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", i+1, r.Sensor, r.Gain.Gain(), r.Score, r.NewlyVisible,
			strings.Join(r.Threats, ", "))
	}
	tw.Flush()
}

func firstLabel(ts *ThreatScore) string {
	if ts.FirstVisible == nil {
		return "never"
	}
	return ts.FirstVisible.Stage.Label() + ": " + ts.FirstVisible.Event
}

func additionLabel(r *Recommendation) string {
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("%s (%s)", r.Sensor, r.Gain.Gain())
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *Assessment) renderMarkdown(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("# %s\n\nLibrary visibility: **%s/4** (scores 0-4; an event is visible from %.1f).\n\n", a.title(), a.Score, VisibleAt)
	ew.printf("| Threat | Version | Score | Visible | First visible | Blind earlier | Best addition |\n")
	ew.printf("|---|---|---|---|---|---|---|\n")
	for _, ts := range a.Threats {
		ew.printf("| %s | %s | %s | %d/%d | %s | %d | %s |\n", md(ts.Name), md(ts.Version), ts.Score, ts.Visible,
			len(ts.Events), md(firstLabel(ts)), len(ts.BlindBefore), md(additionLabel(ts.BestAddition)))
	}
	for _, ts := range a.Threats {
		a.markdownThreat(ew, ts)
	}
	a.markdownRecommendations(ew)
	if len(a.Notes) > 0 {
		ew.printf("\n## Notes\n\n")
		for _, n := range a.Notes {
			ew.printf("- %s\n", md(n))
		}
	}
	return ew.err
}

func (a *Assessment) markdownThreat(ew *errWriter, ts *ThreatScore) {
	ew.printf("\n## %s %s: %s/4\n\n%s\n\n", md(ts.Name), md(ts.Version), ts.Score, md(ts.Statement))
	ew.printf("| Stage | Surface | Event | Score | Sources | Missing |\n|---|---|---|---|---|---|\n")
	for _, es := range ts.Events {
		ew.printf("| %s | %s | %s | %s | %s | %s |\n", es.Stage.Label(), md(es.Surface), md(es.Event), es.Score,
			md(dash(strings.Join(bestSources(es), ", "))), md(dash(strings.Join(es.Missing, ", "))))
	}
	if len(ts.BlindBefore) > 0 {
		ew.printf("\nCould we have seen it earlier?\n\n")
		for _, be := range ts.BlindBefore {
			ew.printf("- %s (%s)%s\n", md(be.Event), be.Stage.Label(), md(lightUp(be)))
		}
	}
}

func (a *Assessment) markdownRecommendations(ew *errWriter) {
	if len(a.Recommendations) == 0 {
		return
	}
	ew.printf("\n## Recommended log sources\n\nBest first; %s.\n\n", a.assumption())
	ew.printf("| # | Log source | Gain | Library score | Newly visible | Threats |\n|---|---|---|---|---|---|\n")
	for i, r := range a.Recommendations {
		ew.printf("| %d | %s | %s | %s | %d | %s |\n", i+1, md(r.Sensor), r.Gain.Gain(), r.Score, r.NewlyVisible,
			md(strings.Join(r.Threats, ", ")))
	}
}

// md escapes text for a Markdown table cell.
func md(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
