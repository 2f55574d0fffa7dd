package cortex

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

// Enricher answers the enrich command with Cortex's analyzers: those that
// take the indicator's type and that the enrich markings (enrich_tlp,
// enrich_pap; AMBER and AMBER unless configured) allow, so that, with no
// incident to say otherwise, no active analyzer runs by default.
type Enricher struct {
	client *Client
	cfg    Config
	// internal tells the organisation's own values, which go to internal
	// analyzers only, as on incidents.
	internal func(t ioc.Type, v string) bool
}

var _ drone.Enricher = (*Enricher)(nil)

// NewEnricher returns the enricher of cfg. extractor marks the
// organisation's own values (the service's); nil marks only private
// addresses.
func NewEnricher(client *Client, cfg Config, extractor drone.Extractor) *Enricher {
	if extractor == nil {
		extractor = &ioc.Extractor{}
	}
	internal := func(t ioc.Type, v string) bool {
		for _, f := range extractor.Extract(v).Indicators {
			if f.Type == t && f.Value == v {
				return f.Internal
			}
		}
		return false
	}
	return &Enricher{client: client, cfg: cfg.WithDefaults(), internal: internal}
}

// Name returns "Cortex".
func (e *Enricher) Name() string { return "Cortex" }

// Enrich runs the allowed analyzers on the indicator at once and returns a
// verdict per analyzer: its findings, that it is still running when ctx's
// deadline comes (with the link to follow it), or that it failed. It
// fails only when no analyzer answered at all.
func (e *Enricher) Enrich(ctx context.Context, typ, value string) ([]drone.Verdict, error) {
	t := ioc.Type(typ)
	pap := e.cfg.EnrichPAP
	if e.internal(t, value) {
		pap = TLPRed
	}
	var run []Analyzer
	for _, a := range e.cfg.Analyzers {
		if _, takes := a.takes(t); !takes {
			continue
		}
		if ok, _ := Allowed(a, e.cfg.EnrichTLP, pap); ok {
			run = append(run, a)
		}
	}
	if len(run) == 0 {
		return nil, nil
	}
	verdicts := make([]drone.Verdict, len(run))
	errs := make([]error, len(run))
	var wg sync.WaitGroup
	for i, a := range run {
		wg.Add(1)
		go func() {
			defer wg.Done()
			verdicts[i], errs[i] = e.one(ctx, a, t, value, pap)
		}()
	}
	wg.Wait()
	var out []drone.Verdict
	for i, v := range verdicts {
		if errs[i] == nil {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no Cortex analyzer answered: %w", errors.Join(errs...))
	}
	for i, err := range errs {
		if err != nil {
			out = append(out, drone.Verdict{Source: "cortex/" + run[i].Name, Type: typ, Value: value,
				Summary: fmt.Sprintf("%s — %s: no answer (%v)", ioc.Defang(t, value), run[i].Name, err)})
		}
	}
	return out, nil
}

// one runs one analyzer and waits for its report until ctx's deadline
// (at most the configured wait).
func (e *Enricher) one(ctx context.Context, a Analyzer, t ioc.Type, value, pap string) (drone.Verdict, error) {
	dt, _ := a.takes(t)
	info, err := e.client.Analyzer(ctx, a.Name)
	if err != nil {
		return drone.Verdict{}, err
	}
	if !slices.Contains(info.DataTypes, dt) {
		return drone.Verdict{}, fmt.Errorf("cortex: analyzer %s takes no %s data", info.Name, dt)
	}
	j, err := e.client.Run(ctx, info.ID, RunInput{Data: value, DataType: dt, TLP: wireTLP(e.cfg.EnrichTLP),
		PAP: wirePAP(pap), Message: "drone enrich"})
	if err != nil {
		return drone.Verdict{}, err
	}
	wait := e.cfg.Wait
	if dl, ok := ctx.Deadline(); ok {
		// Leave a second for the answer to come back within the deadline.
		wait = min(wait, time.Until(dl)-time.Second)
	}
	r, err := e.client.WaitReport(ctx, j.ID, wait)
	if err != nil {
		return drone.Verdict{}, err
	}
	link := e.client.JobURL(j.ID)
	switch r.Status {
	case StatusSuccess:
		return verdict(a.Name, t, value, r, link), nil
	case StatusWaiting, StatusInProgress:
		return drone.Verdict{Source: "cortex/" + a.Name, Type: string(t), Value: value, Link: link,
			Summary: fmt.Sprintf("%s — %s: still running; see %s", ioc.Defang(t, value), a.Name, link)}, nil
	}
	return drone.Verdict{}, fmt.Errorf("cortex: job %s ended %s: %s", j.ID, r.Status, orElse(r.ErrorMessage, "no message"))
}
