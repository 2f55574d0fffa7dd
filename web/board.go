package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ttp0/drone/drone"
)

func queryEscape(s string) string { return url.QueryEscape(s) }

// boardFilter is what the board shows, from its query string.
type boardFilter struct {
	Tab      string // "open" or "closed"
	Status   string
	Severity string // a level, "4"
	Category string // a code, "CAT1"
	TLP      string
	Q        string
	Page     int
}

func readBoardFilter(q url.Values) boardFilter {
	f := boardFilter{Tab: q.Get("tab"), Status: q.Get("status"), Severity: q.Get("severity"), Category: q.Get("category"),
		TLP: q.Get("tlp"), Q: strings.TrimSpace(q.Get("q"))}
	if f.Tab != "closed" {
		f.Tab = "open"
	}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	if f.Page < 1 {
		f.Page = 1
	}
	return f
}

// query returns the filter as a query string, on another page.
func (f boardFilter) query(page int) string {
	p := ""
	if page > 1 {
		p = strconv.Itoa(page)
	}
	tab := ""
	if f.Tab == "closed" {
		tab = "closed"
	}
	return buildQuery("tab", tab, "status", f.Status, "severity", f.Severity, "category", f.Category, "tlp", f.TLP, "q", f.Q, "page", p)
}

// Filtered reports whether any filter is set.
func (f boardFilter) Filtered() bool {
	return f.Status != "" || f.Severity != "" || f.Category != "" || f.TLP != "" || f.Q != ""
}

type boardData struct {
	F                      boardFilter
	Rows                   []*drone.Incident
	Total, Page, Pages     int
	From, To               int
	Prev, Next             string
	OpenCount, ClosedCount int
	OpenTab, ClosedTab     string
	Statuses               []drone.Status
	Categories             []drone.Category
	Severities             []drone.Choice
	TLPs                   []string
	CanDeclare             bool
	SearchNote             string
}

// board lists the incidents the user may see, newest first, filtered and
// a page at a time.
func (c *Console) board(w http.ResponseWriter, r *http.Request, u *user) {
	ctx := r.Context()
	if err := c.index.ensure(ctx); err != nil {
		c.internal(w, r, u, err)
		return
	}
	f := readBoardFilter(r.URL.Query())
	d, err := c.boardData(ctx, u, f)
	if err != nil {
		c.internal(w, r, u, err)
		return
	}
	c.renderLive(w, r, u, http.StatusOK, "board", "Incidents", "board=1", d)
}

func (c *Console) boardData(ctx context.Context, u *user, f boardFilter) (*boardData, error) {
	fw := &c.svc.Framework
	d := &boardData{F: f, Page: f.Page, Statuses: drone.Statuses, Categories: fw.Categories, Severities: fw.Severities,
		TLPs: fw.TLP, CanDeclare: u.can(c, drone.PermDeclare)}
	match, note, err := c.matcher(ctx, u, f)
	if err != nil {
		return nil, err
	}
	d.SearchNote = note
	size := c.cfg.PageSize
	first := (f.Page - 1) * size
	c.index.each(func(inc *drone.Incident) bool {
		if !c.sees(u, inc) {
			return true
		}
		open := inc.Open()
		if !match(inc) {
			return true
		}
		if open {
			d.OpenCount++
		} else {
			d.ClosedCount++
		}
		if open != (f.Tab == "open") {
			return true
		}
		if d.Total >= first && d.Total < first+size {
			d.Rows = append(d.Rows, inc)
		}
		d.Total++
		return true
	})
	d.Pages = max(1, (d.Total+size-1)/size)
	if len(d.Rows) > 0 {
		d.From, d.To = first+1, first+len(d.Rows)
	}
	if f.Page > 1 {
		d.Prev = f.query(f.Page - 1)
	}
	if f.Page < d.Pages {
		d.Next = f.query(f.Page + 1)
	}
	open, closed := f, f
	open.Tab, closed.Tab = "open", "closed"
	d.OpenTab, d.ClosedTab = open.query(1), closed.query(1)
	return d, nil
}

// matcher returns the test of the filter (all but the tab). The text
// search matches the title, overview and summary, and, for the indicators
// it finds in the text (defanged or not), the incidents they were seen in.
func (c *Console) matcher(ctx context.Context, u *user, f boardFilter) (func(*drone.Incident) bool, string, error) {
	var sightings map[int64]bool
	var words []string
	note := ""
	if f.Q != "" {
		if n, err := drone.ParseRef(f.Q); err == nil && (drone.IsRef(f.Q) || strings.HasPrefix(f.Q, "#")) {
			return func(inc *drone.Incident) bool { return inc.Number == n }, "", nil
		}
		res := c.svc.Extractor
		if res != nil {
			found := res.Extract(f.Q).Indicators
			if len(found) > 0 {
				sightings = map[int64]bool{}
				for _, ind := range found {
					ss, err := c.svc.Sightings(ctx, string(ind.Type), ind.Value, 1000)
					if err != nil {
						return nil, "", err
					}
					for _, s := range ss {
						sightings[s.Number] = true
					}
				}
				note = "Indicators are matched whole, defanged or not; words are matched in titles, overviews and summaries."
			}
		}
		words = strings.Fields(strings.ToLower(f.Q))
	}
	sev, _ := strconv.Atoi(f.Severity)
	return func(inc *drone.Incident) bool {
		switch {
		case f.Status != "" && string(inc.Status) != f.Status:
			return false
		case sev != 0 && inc.Severity != sev:
			return false
		case f.Category != "" && !strings.EqualFold(inc.Category, f.Category):
			return false
		case f.TLP != "" && !strings.EqualFold(inc.TLP, f.TLP):
			return false
		}
		if len(words) == 0 {
			return true
		}
		if sightings[inc.Number] {
			return true
		}
		return containsAll(inc, words)
	}, note, nil
}

func containsAll(inc *drone.Incident, words []string) bool {
	for _, w := range words {
		if !containsFold(inc.Title, w) && !containsFold(inc.Overview, w) && !containsFold(inc.Summary, w) &&
			!containsFold(inc.Ref(), w) {
			return false
		}
	}
	return true
}

// containsFold reports whether s holds the lower-case word w, ignoring case.
func containsFold(s, w string) bool {
	if len(w) > len(s) {
		return false
	}
	return strings.Contains(strings.ToLower(s), w)
}
