package ioc

import (
	"strings"
	"sync"
)

// ExtractConcurrent is Extract for a long text on several cores: it cuts
// the text at line ends into up to workers parts, extracts them in
// parallel and merges the results in text order, each indicator (by type
// and value) and each rejection (by raw text) once. No candidate spans a
// line end, so the result is Extract's. Texts under 256 KB, or one worker,
// go to Extract.
func (e *Extractor) ExtractConcurrent(text string, workers int) Result {
	if e == nil {
		e = &zero
	}
	if workers < 2 || len(text) < 256<<10 {
		return e.Extract(text)
	}
	bounds := []int{0}
	for k := 1; k < workers; k++ {
		at := len(text) * k / workers
		if at <= bounds[len(bounds)-1] {
			continue
		}
		nl := strings.IndexByte(text[at:], '\n')
		if nl < 0 {
			break
		}
		bounds = append(bounds, at+nl+1)
	}
	bounds = append(bounds, len(text))
	parts := make([]Result, len(bounds)-1)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i] = e.Extract(text[bounds[i]:bounds[i+1]])
		}()
	}
	wg.Wait()
	return mergeParts(parts, bounds)
}

// mergeParts joins the results of consecutive parts of a text starting at
// bounds, shifting offsets and dropping what an earlier part reported.
func mergeParts(parts []Result, bounds []int) Result {
	var n, nr int
	for _, p := range parts {
		n, nr = n+len(p.Indicators), nr+len(p.Rejected)
	}
	res := Result{Indicators: make([]Indicator, 0, n), Rejected: make([]Rejected, 0, nr)}
	seen := make(map[seenKey]struct{}, n+nr)
	for i, p := range parts {
		for _, ind := range p.Indicators {
			k := seenKey{ind.Type, ind.Value}
			if _, dup := seen[k]; dup && i > 0 {
				continue
			}
			seen[k] = struct{}{}
			ind.Offset += bounds[i]
			res.Indicators = append(res.Indicators, ind)
		}
		for _, r := range p.Rejected {
			k := seenKey{"", r.Raw}
			if _, dup := seen[k]; dup && i > 0 {
				continue
			}
			seen[k] = struct{}{}
			r.Offset += bounds[i]
			res.Rejected = append(res.Rejected, r)
		}
	}
	if len(res.Indicators) == 0 {
		res.Indicators = nil
	}
	if len(res.Rejected) == 0 {
		res.Rejected = nil
	}
	return res
}
