package web

import (
	"bytes"
	"encoding/json"
	"html/template"
	"strconv"
	"strings"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

// The incident page's long lists (thousands of indicators, a timeline of
// a thousand entries) are written here rather than by html/template, whose
// escaping by reflection costs some twenty times more per row; every value
// is escaped with template.HTMLEscapeString all the same.

var esc = template.HTMLEscapeString

// observableRows renders the rows of the indicators table.
func observableRows(rows []obsRow) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 320)
	for _, o := range rows {
		b.WriteString(`<tr data-testid="observable-row"><td>`)
		b.WriteString(esc(string(o.Type)))
		b.WriteString(`</td><td class="mono wide">`)
		b.WriteString(esc(ioc.Defang(o.Type, o.Value)))
		if o.Internal {
			b.WriteString(` <span class="tag">internal</span>`)
		}
		if o.IOC {
			b.WriteString(` <span class="tag ioc">IOC</span>`)
		}
		b.WriteString(`</td><td class="num"><time datetime="`)
		b.WriteString(o.FirstSeen.UTC().Format("2006-01-02T15:04:05Z07:00"))
		b.WriteString(`">`)
		b.WriteString(o.FirstSeen.UTC().Format("2006-01-02 15:04 MST"))
		b.WriteString(`</time></td><td>`)
		if len(o.Seen) == 0 {
			b.WriteString(`<span class="muted">only here</span>`)
		}
		for _, n := range o.Seen {
			s := strconv.FormatInt(n, 10)
			b.WriteString(`<a href="/incidents/` + s + `" data-testid="seen-link">INC-` + s + `</a> `)
		}
		b.WriteString("</td></tr>\n")
	}
	return template.HTML(b.String()) //nolint:gosec // every value is escaped above
}

// timelineRows renders the entries of the timeline.
func timelineRows(entries []drone.Entry) template.HTML {
	var b strings.Builder
	b.Grow(len(entries) * 260)
	for _, e := range drone.InOrder(entries) {
		kind, label := esc(e.Kind), esc(entryLabel(e))
		b.WriteString(`<li class="entry kind-` + label + `" data-testid="timeline-entry" data-seq="` +
			strconv.FormatInt(e.Seq, 10) + `" data-kind="` + kind + `"><time datetime="`)
		at := e.OccurredAt().UTC() // a pinned message shows when it was posted
		b.WriteString(at.Format("2006-01-02T15:04:05Z07:00"))
		b.WriteString(`">`)
		b.WriteString(at.Format("2006-01-02 15:04 MST"))
		b.WriteString(`</time> <span class="kind">` + label + `</span> <span class="text">`)
		b.WriteString(esc(e.Text))
		b.WriteString("</span></li>\n")
	}
	return template.HTML(b.String()) //nolint:gosec // every value is escaped above
}

// entryLabel is how the timeline labels an entry: its kind, but "closed"
// for the status change that closed the incident (the core records a close
// as a status entry whose change sets the status to closed).
func entryLabel(e drone.Entry) string {
	if e.Kind != drone.EntryStatus || !bytes.Contains(e.Data, []byte(`"closed"`)) {
		return e.Kind
	}
	var change struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(e.Data, &change) == nil && change.Status == string(drone.StatusClosed) {
		return "closed"
	}
	return e.Kind
}
