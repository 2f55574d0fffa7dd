package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/ttp0/drone/drone"
)

// lineChart is a small server-rendered SVG line chart: one line per
// series over the same x labels; a missing point (NaN) breaks the line.
type lineChart struct {
	ID     string
	Title  string
	Unit   string // of the y axis, "hours"
	Labels []string
	Series []series
}

type series struct {
	Name   string
	Class  string // the CSS class of its colour and dashes; "s" and its index when empty
	Points []float64
}

// CSSClass is the series' class: its own, or one by its place in the chart.
func (s series) CSSClass(i int) string {
	if s.Class != "" {
		return s.Class
	}
	return fmt.Sprintf("s%d", i%10)
}

// seriesClass gives a series of a severity the colour of that severity
// (sev-line-1 for the lowest, up to sev-line-4), whichever others are
// drawn beside it, so that HIGH is the same colour on every chart.
func seriesClass(fw drone.Framework, by, key string) string {
	if by != "severity" {
		return ""
	}
	for i, sev := range fw.Severities {
		if sev.Name == key {
			return fmt.Sprintf("sev-line-%d", min(i+1, 4))
		}
	}
	return ""
}

// readable returns the chart in the unit that keeps its y axis readable:
// hours below one become minutes, and minutes below one seconds.
func (c lineChart) readable() lineChart {
	units := []struct {
		name string
		per  float64
	}{{"hours", 1}, {"minutes", 60}, {"seconds", 3600}}
	if c.Unit != units[0].name {
		return c
	}
	raw := 0.0
	for _, s := range c.Series {
		for _, p := range s.Points {
			if !math.IsNaN(p) && p > raw {
				raw = p
			}
		}
	}
	if raw == 0 || raw >= 1 {
		return c
	}
	u := units[1]
	if raw*u.per < 1 {
		u = units[2]
	}
	out := c
	out.Unit, out.Series = u.name, make([]series, len(c.Series))
	for i, s := range c.Series {
		s.Points = append([]float64(nil), s.Points...)
		for j := range s.Points {
			s.Points[j] *= u.per
		}
		out.Series[i] = s
	}
	return out
}

// ShownUnit is the unit the chart's y axis is drawn in.
func (c lineChart) ShownUnit() string { return c.readable().Unit }

// Chart geometry, in SVG user units; the SVG scales to its box.
const (
	chartW, chartH             = 560.0, 260.0
	padL, padR, padT, padB     = 48.0, 12.0, 12.0, 28.0
	plotW, plotH               = chartW - padL - padR, chartH - padT - padB
	gridLines                  = 4
	pointRadius, barGapPercent = 4.0, 0.3
)

// niceMax rounds v up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func (c lineChart) max() float64 {
	m := 0.0
	for _, s := range c.Series {
		for _, p := range s.Points {
			if !math.IsNaN(p) && p > m {
				m = p
			}
		}
	}
	return niceMax(m)
}

func xAt(i, n int) float64 {
	if n <= 1 {
		return padL + plotW/2
	}
	return padL + plotW*float64(i)/float64(n-1)
}

func yAt(v, top float64) float64 { return padT + plotH*(1-v/top) }

// axes writes the grid, the y values and the x labels.
func axes(b *strings.Builder, labels []string, top float64, xpos func(i int) float64) {
	for g := 0; g <= gridLines; g++ {
		v := top * float64(g) / gridLines
		y := yAt(v, top)
		fmt.Fprintf(b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, padL, y, chartW-padR, y)
		fmt.Fprintf(b, `<text class="ylabel" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, padL-6, y+4, formatValue(v))
	}
	step := max(1, (len(labels)+5)/6) // at most about 6 labels
	for i, l := range labels {
		if i%step != 0 {
			continue
		}
		fmt.Fprintf(b, `<text class="xlabel" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, xpos(i), chartH-8,
			template.HTMLEscapeString(l))
	}
}

// formatValue writes a value with up to three significant digits, so that
// small values keep theirs (0.0125, not 0.01 or 0.00).
func formatValue(v float64) string {
	switch {
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// SVG renders the chart. Every text in it is escaped; numbers are formatted.
func (c lineChart) SVG() template.HTML {
	c = c.readable()
	var b strings.Builder
	top := c.max()
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="%s-t" data-testid="chart-%s">`,
		chartW, chartH, c.ID, c.ID)
	fmt.Fprintf(&b, `<title id="%s-t">%s (%s)</title>`, c.ID, template.HTMLEscapeString(c.Title), template.HTMLEscapeString(c.Unit))
	axes(&b, c.Labels, top, func(i int) float64 { return xAt(i, len(c.Labels)) })
	for si, s := range c.Series {
		fmt.Fprintf(&b, `<g class="series %s"><title>%s</title>`, s.CSSClass(si), template.HTMLEscapeString(s.Name))
		var path strings.Builder
		pen := false
		for i, p := range s.Points {
			if math.IsNaN(p) {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, xAt(i, len(c.Labels)), yAt(p, top))
			pen = true
		}
		if path.Len() > 0 {
			fmt.Fprintf(&b, `<path d="%s"/>`, strings.TrimSpace(path.String()))
		}
		for i, p := range s.Points {
			if !math.IsNaN(p) {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f"><title>%s %s: %s %s</title></circle>`,
					xAt(i, len(c.Labels)), yAt(p, top), pointRadius, template.HTMLEscapeString(s.Name),
					template.HTMLEscapeString(c.Labels[i]), formatValue(p), template.HTMLEscapeString(c.Unit))
			}
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built from escaped text and numbers only
}

// barChart is a small SVG bar chart of counts.
type barChart struct {
	ID     string
	Title  string
	Labels []string
	Values []int
}

// SVG renders the bars.
func (c barChart) SVG() template.HTML {
	var b strings.Builder
	m := 0
	for _, v := range c.Values {
		m = max(m, v)
	}
	top := niceMax(float64(m))
	n := max(len(c.Values), 1)
	slot := plotW / float64(n)
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="%s-t" data-testid="chart-%s">`,
		chartW, chartH, c.ID, c.ID)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, c.ID, template.HTMLEscapeString(c.Title))
	axes(&b, c.Labels, top, func(i int) float64 { return padL + slot*(float64(i)+0.5) })
	for i, v := range c.Values {
		h := plotH * float64(v) / top
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d</title></rect>`,
			padL+slot*(float64(i)+barGapPercent/2), padT+plotH-h, slot*(1-barGapPercent), h,
			template.HTMLEscapeString(c.Labels[i]), v)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built from escaped text and numbers only
}
