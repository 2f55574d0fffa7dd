package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/measure"
)

// pageTemplate is a page's template with the layout around it.
type pageTemplate struct{ t *template.Template }

// pageNames are the pages, each templates/NAME.html with the layout.
var pageNames = []string{"signin", "setup", "error", "board", "declare", "declared", "incident", "leaders", "leader", "measures",
	"tds", "queue", "accounts", "account"}

func parsePages() (map[string]*pageTemplate, error) {
	pages := map[string]*pageTemplate{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parsing %s: %w", name, err)
		}
		pages[name] = &pageTemplate{t: t}
	}
	return pages, nil
}

// page is what every template gets: the layout's needs and the page's own
// data in D.
type page struct {
	Title string
	Nav   string // the navigation entry to mark current
	User  *user
	CSRF  string
	// Live, when set, is the query of the page's event stream
	// ("incident=4", "board=1"): the script keeps the page's data-live
	// regions current.
	Live string
	Org  string
	SOC  string
	Now  time.Time
	D    any
}

// render writes a page. It is rendered to a buffer first, so that a
// template error gives a clean error page rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, u *user, status int, name, title string, d any) {
	c.renderLive(w, r, u, status, name, title, "", d)
}

func (c *Console) renderLive(w http.ResponseWriter, r *http.Request, u *user, status int, name, title, live string, d any) {
	p := page{Title: title, Nav: name, User: u, Live: live, Org: c.org, SOC: c.soc, Now: c.now().UTC(), D: d}
	if u != nil {
		p.CSRF = u.sess.CSRF
	}
	var buf bytes.Buffer
	if err := c.pages[name].t.Execute(&buf, p); err != nil {
		c.log.Error("web console: rendering", "page", name, "err", err)
		http.Error(w, "Internal error: the details are in drone's log.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorData struct {
	Status  int
	Message string
}

// fail shows an error page with a message safe for the user.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, u *user, status int, msg string) {
	c.render(w, r, u, status, "error", http.StatusText(status), errorData{Status: status, Message: msg})
}

// notFound is the answer for anything missing, and for an incident above
// the user's clearance alike, so that the answer says nothing of which.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request, u *user) {
	c.fail(w, r, u, http.StatusNotFound, "There is no such page or incident.")
}

// internal logs err and shows a generic message.
func (c *Console) internal(w http.ResponseWriter, r *http.Request, u *user, err error) {
	c.log.Error("web console", "method", r.Method, "path", r.URL.Path, "err", err)
	c.fail(w, r, u, http.StatusInternalServerError, "Internal error: the details are in drone's log.")
}

// failErr answers a drone error with its status and its message for users.
func (c *Console) failErr(w http.ResponseWriter, r *http.Request, u *user, err error) {
	switch drone.ErrorCode(err) {
	case drone.EINVALID:
		c.fail(w, r, u, http.StatusUnprocessableEntity, drone.ErrorMessage(err))
	case drone.ENOTFOUND:
		c.notFound(w, r, u)
	case drone.ECONFLICT:
		c.fail(w, r, u, http.StatusConflict, drone.ErrorMessage(err))
	case drone.EFORBIDDEN:
		c.fail(w, r, u, http.StatusForbidden, drone.ErrorMessage(err))
	default:
		c.internal(w, r, u, err)
	}
}

var funcs = template.FuncMap{
	"sevClass": func(n int) string { return "sev sev-" + strconv.Itoa(n) },
	"tlpClass": func(tlp string) string {
		return "tlp tlp-" + strings.ToLower(strings.ReplaceAll(tlp, "+", "-"))
	},
	"statusClass": func(s drone.Status) string { return "status status-" + string(s) },
	"ref":         func(n int64) string { return "INC-" + strconv.FormatInt(n, 10) },
	"when":        func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") },
	"whenp": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 MST")
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"ago": func(now, t time.Time) string { return measure.Human(now.Sub(t)) },
	"due": func(now time.Time, t *time.Time) string {
		if t == nil {
			return "—"
		}
		if d := t.Sub(now); d >= 0 {
			return "in " + measure.Human(d)
		}
		return "overdue " + measure.Human(now.Sub(*t))
	},
	"overdue": func(now time.Time, t *time.Time) bool { return t != nil && t.Before(now) },
	"human":   measure.Human,
	"defang":  func(t ioc.Type, v string) string { return ioc.Defang(t, v) },
	"orDash": func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "—"
		}
		return s
	},
	"lower":  strings.ToLower,
	"add":    func(a, b int) int { return a + b },
	"query":  func(kv ...string) template.URL { return template.URL(buildQuery(kv...)) },
	"join":   strings.Join,
	"isOIDC": func(a drone.Account) bool { return IsOIDC(&a) },
	"share": func(s measure.Stat) string {
		if v := s.Share(); v >= 0 {
			return strconv.Itoa(int(v*100+0.5)) + "%"
		}
		return "—"
	},
	"field":          fieldOf,
	"observableRows": observableRows,
	"timelineRows":   timelineRows,
	"withCSRF": func(f formData, csrf string) formData {
		f.CSRF = csrf
		return f
	},
	"jobs": func(title, key string, jobs []drone.JobInfo, csrf string, now time.Time) jobList {
		return jobList{Title: title, Key: key, Jobs: jobs, CSRF: csrf, Now: now}
	},
}

// jobList is one table of the queue page.
type jobList struct {
	Title, Key string
	Jobs       []drone.JobInfo
	CSRF       string
	Now        time.Time
}

// fieldView is one field of a form as the "field" template draws it.
type fieldView struct {
	F      drone.Field
	ID     string // the element id, unique on the page
	Form   string // the form's id prefix
	Value  string
	Error  string
	Groups []optionGroup // a dependent select's options, by its parent's value
}

type optionGroup struct {
	Label, Value string
	Options      []drone.Option
}

func fieldOf(fd formData, f drone.Field) fieldView {
	prefix := "f-" + fd.Dialog.ID
	v := fieldView{F: f, ID: prefix + "-" + f.ID, Form: prefix, Value: fd.Values[f.ID], Error: fd.Errors[f.ID]}
	if f.DependsOn != "" {
		for _, p := range fd.Parent(f.DependsOn) {
			if opts := f.OptionsBy[p.Value]; len(opts) > 0 {
				v.Groups = append(v.Groups, optionGroup{Label: p.Label, Value: p.Value, Options: opts})
			}
		}
	}
	return v
}

// buildQuery builds "?k=v&..." from pairs, leaving out empty values.
func buildQuery(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if b.Len() == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(queryEscape(kv[i]) + "=" + queryEscape(kv[i+1]))
	}
	if b.Len() == 0 {
		return "?"
	}
	return b.String()
}
