package drone

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ttp0/drone/drone/ioc"
)

// EntryEnrichment records what a threat-intelligence source said of an
// incident's indicators: its data is the []Verdict found.
const EntryEnrichment = "enrichment"

// Verdict is what one threat-intelligence source says of one indicator.
type Verdict struct {
	Source string `json:"source"` // "misp", "cortex/AbuseIPDB_1_0"
	Type   string `json:"type"`   // the indicator's type (ioc.Type)
	Value  string `json:"value"`
	// Known is true when the source knows the indicator (a MISP attribute,
	// an analyzer's non-"info" taxonomy).
	Known bool `json:"known"`
	// Level is the worst level the source gives, in Cortex's taxonomy
	// words: info, safe, suspicious, malicious.
	Level   string `json:"level,omitempty"`
	Summary string `json:"summary"`        // one line for people: "known to MISP event 1234, APT-X, threat level high"
	Link    string `json:"link,omitempty"` // the full report
	// Details are the source's own findings (tags, taxonomies) as
	// "namespace:predicate=value" strings, for machines and the curious.
	Details []string `json:"details,omitempty"`
}

// Enricher looks indicators up in a threat-intelligence source (MISP,
// Cortex). Integrations offer one; the core asks every enabled one when a
// responder asks about an indicator (the enrich command).
type Enricher interface {
	// Name is the source's name, as users see it ("MISP").
	Name() string
	// Enrich returns what the source says of the indicator: no verdict
	// when it knows nothing. It must honour ctx's deadline.
	Enrich(ctx context.Context, typ, value string) ([]Verdict, error)
}

// DefaultEnrichTimeout bounds each source's answer to the enrich command
// when Service.EnrichTimeout is not set.
const DefaultEnrichTimeout = 5 * time.Second

// maxEnriched bounds the indicators one enrich command looks up.
const maxEnriched = 10

// Enrichment is what drone knows of one indicator: the incidents it was
// seen in, and what each threat-intelligence source says.
type Enrichment struct {
	Type     ioc.Type     `json:"type"`
	Value    string       `json:"value"`
	Internal bool         `json:"internal"` // the organisation's own: not sent to any source
	Seen     []Sighting   `json:"seen"`     // incidents that held it, newest first
	Verdicts []Verdict    `json:"verdicts"` // what the sources know of it
	Failures []SourceFail `json:"failures,omitempty"`
}

// SourceFail is a source that could not answer in time, or failed.
type SourceFail struct {
	Source string `json:"source"`
	Error  string `json:"error"`
}

// Enrich finds the indicators in text and says, for each, which past
// incidents held it and what every enabled source (Service.Enrichers)
// says, each source asked in parallel within its own time bound; a source
// that fails is named in the answer, which the others still fill. The
// organisation's own values are not sent to any source. It takes the
// permission to add indicators, since it sends them out.
func (s *Service) Enrich(ctx context.Context, a Actor, text string) ([]Enrichment, error) {
	if !s.Roles.Allows(a, PermIOC) {
		return nil, s.forbidden(PermIOC)
	}
	found := s.extractor().Extract(text).Indicators
	if len(found) == 0 {
		return nil, Errorf(EINVALID, "usage: enrich INDICATOR — no indicator found in %q", text)
	}
	if len(found) > maxEnriched {
		found = found[:maxEnriched]
	}
	out := make([]Enrichment, len(found))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, ind := range found {
		seen, err := s.Sightings(ctx, string(ind.Type), ind.Value, 20)
		if err != nil {
			return nil, fmt.Errorf("reading where %s was seen: %w", ind.Value, err)
		}
		out[i] = Enrichment{Type: ind.Type, Value: ind.Value, Internal: ind.Internal, Seen: seen}
		if ind.Internal {
			continue
		}
		for _, e := range s.Enrichers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				vs, err := s.ask(ctx, e, ind)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					out[i].Failures = append(out[i].Failures, SourceFail{Source: e.Name(), Error: err.Error()})
					return
				}
				out[i].Verdicts = append(out[i].Verdicts, vs...)
			}()
		}
	}
	wg.Wait()
	for i := range out { // the sources answer in any order; say them in one
		sort.SliceStable(out[i].Verdicts, func(x, y int) bool { return out[i].Verdicts[x].Source < out[i].Verdicts[y].Source })
		sort.Slice(out[i].Failures, func(x, y int) bool { return out[i].Failures[x].Source < out[i].Failures[y].Source })
	}
	return out, nil
}

// ask asks one source within the enrich time bound.
func (s *Service) ask(ctx context.Context, e Enricher, ind ioc.Indicator) ([]Verdict, error) {
	d := s.EnrichTimeout
	if d <= 0 {
		d = DefaultEnrichTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	type answer struct {
		vs  []Verdict
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		vs, err := e.Enrich(ctx, string(ind.Type), ind.Value)
		ch <- answer{vs, err}
	}()
	select { // a source that ignores ctx still cannot hold the answer
	case a := <-ch:
		return a.vs, a.err
	case <-ctx.Done():
		return nil, fmt.Errorf("no answer within %s", d)
	}
}

// RenderEnrichment says an enrich answer in plain text.
func RenderEnrichment(es []Enrichment, sources []Enricher) string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s (%s)%s\n", ioc.Defang(e.Type, e.Value), e.Type, internalMark(e.Internal))
		b.WriteString("  " + seenLine(e.Seen) + "\n")
		switch {
		case e.Internal:
			b.WriteString("  not sent to threat-intelligence sources: it is the organisation's own\n")
		case len(sources) == 0:
			b.WriteString("  no threat-intelligence source is enabled (MISP, Cortex)\n")
		}
		for _, v := range e.Verdicts {
			fmt.Fprintf(&b, "  %s: %s", sourceName(v.Source, sources), v.Summary)
			if v.Link != "" {
				b.WriteString(" — " + v.Link)
			}
			b.WriteString("\n")
		}
		for _, src := range sources {
			if !e.Internal && !answered(e, src.Name()) {
				fmt.Fprintf(&b, "  %s: nothing known\n", src.Name())
			}
		}
		for _, f := range e.Failures {
			fmt.Fprintf(&b, "  %s: no answer (%s)\n", f.Source, f.Error)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// seenLine is "seen in INC-7, INC-3" or "never seen in an incident".
func seenLine(ss []Sighting) string {
	if len(ss) == 0 {
		return "never seen in an incident"
	}
	refs := make([]string, 0, len(ss))
	for _, s := range ss {
		refs = append(refs, fmt.Sprintf("INC-%d (%s)", s.Number, s.FirstSeen.UTC().Format("2006-01-02")))
	}
	return "seen in " + strings.Join(refs, ", ")
}

// sourceName is the name people know a verdict's source by ("MISP" for
// "misp", "Cortex" for "cortex/AbuseIPDB_1_0" when a source so named is on).
func sourceName(source string, sources []Enricher) string {
	head, _, _ := strings.Cut(source, "/")
	for _, e := range sources {
		if strings.EqualFold(e.Name(), head) {
			if head == source {
				return e.Name()
			}
			return e.Name() + " " + strings.TrimPrefix(source, head+"/")
		}
	}
	return source
}

// answered reports whether the source gave a verdict or failed.
func answered(e Enrichment, name string) bool {
	for _, v := range e.Verdicts {
		if head, _, _ := strings.Cut(v.Source, "/"); strings.EqualFold(head, name) {
			return true
		}
	}
	for _, f := range e.Failures {
		if f.Source == name {
			return true
		}
	}
	return false
}

// Verdicts returns what the sources said of the incident's indicators
// (its enrichment entries), the known ones, oldest first, each once.
func (r *Record) Verdicts() []Verdict {
	var out []Verdict
	seen := map[string]bool{}
	for _, e := range r.Timeline {
		if e.Kind != EntryEnrichment {
			continue
		}
		var vs []Verdict
		if err := json.Unmarshal(e.Data, &vs); err != nil {
			continue // an entry of another shape says nothing here
		}
		for _, v := range vs {
			key := v.Source + "\x00" + v.Value + "\x00" + v.Summary
			if v.Known && !seen[key] {
				seen[key] = true
				out = append(out, v)
			}
		}
	}
	return out
}

// maxNoticeVerdicts bounds the verdicts a notice's row names.
const maxNoticeVerdicts = 3

// intelRow is a notice's row of what the sources know of the incident's
// indicators: "203.0.113[.]7: known to MISP event 1234, APT-X, threat
// level high; and 2 more".
func intelRow(vs []Verdict) (Row, bool) {
	if len(vs) == 0 {
		return Row{}, false
	}
	parts := make([]string, 0, maxNoticeVerdicts+1)
	for i, v := range vs {
		if i == maxNoticeVerdicts {
			parts = append(parts, fmt.Sprintf("and %d more", len(vs)-maxNoticeVerdicts))
			break
		}
		parts = append(parts, ioc.Defang(ioc.Type(v.Type), v.Value)+": "+v.Summary)
	}
	return Row{Label: "Threat intelligence", Value: strings.Join(parts, "; ")}, true
}
