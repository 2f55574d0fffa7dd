package notify

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"sort"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/ttp0/drone/configs"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/measure"
)

// Template names: each is a .txt.tmpl (text/template) and a .html.tmpl
// (html/template) in configs/templates.
const (
	TemplateNotification = "sin"    // the Security Incident Notification, for responders
	TemplateLeader       = "leader" // the plain-language summary, for leaders
	TemplateClose        = "close"  // the close report: timeline, durations, resolution
	TemplateDigest       = "digest" // the digest and drone report
)

// Templates renders notices and reports with the shipped templates, each
// replaceable by a file of the same name in the organisation's directory.
type Templates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

var funcs = map[string]any{
	"time": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") },
	"dur":  measure.Human,
	"stat": func(s measure.Stat) string { return s.String() },
	"md":   func(s string) string { return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s) },
	"list": func(s ...string) []string { return s },
	"tlpColour": func(tlp string) string {
		switch strings.ToUpper(tlp) {
		case "RED":
			return "#FF2B2B"
		case "AMBER", "AMBER+STRICT":
			return "#FFC000"
		case "GREEN":
			return "#33FF00"
		}
		return "#FFFFFF"
	},
}

// NewTemplates loads the shipped templates and, when override is not nil,
// replaces each with the file of the same name in override (*.tmpl at its
// root); files of new names are added, as partials.
func NewTemplates(override fs.FS) (*Templates, error) {
	files := map[string][]byte{}
	if err := readTemplates(configs.Templates, "templates", files); err != nil {
		return nil, err
	}
	if override != nil {
		if err := readTemplates(override, ".", files); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	t := &Templates{text: texttemplate.New("").Funcs(funcs), html: htmltemplate.New("").Funcs(funcs)}
	var errs []error
	for _, n := range names {
		var err error
		switch {
		case strings.HasSuffix(n, ".html.tmpl"):
			_, err = t.html.New(n).Parse(string(files[n]))
		default:
			_, err = t.text.New(n).Parse(string(files[n]))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("template %s: %w", n, err))
		}
	}
	for _, n := range []string{TemplateNotification, TemplateLeader, TemplateClose, TemplateDigest} {
		if t.text.Lookup(n+".txt.tmpl") == nil || t.html.Lookup(n+".html.tmpl") == nil {
			errs = append(errs, fmt.Errorf("templates %s.txt.tmpl and %s.html.tmpl are required", n, n))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

func readTemplates(fsys fs.FS, dir string, into map[string][]byte) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return fmt.Errorf("reading templates: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tmpl") {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("reading template %s: %w", e.Name(), err)
		}
		into[e.Name()] = b
	}
	return nil
}

// Render renders a template as plain text and HTML.
func (t *Templates) Render(name string, v *View) (text, html []byte, err error) {
	var tb, hb bytes.Buffer
	if err := t.text.ExecuteTemplate(&tb, name+".txt.tmpl", v); err != nil {
		return nil, nil, fmt.Errorf("rendering %s.txt.tmpl: %w", name, err)
	}
	if err := t.html.ExecuteTemplate(&hb, name+".html.tmpl", v); err != nil {
		return nil, nil, fmt.Errorf("rendering %s.html.tmpl: %w", name, err)
	}
	return tb.Bytes(), hb.Bytes(), nil
}

// RenderReport renders a report as text, markdown, html or json.
func (t *Templates) RenderReport(format string, v *View) ([]byte, error) {
	var b bytes.Buffer
	var err error
	switch format {
	case "text", "":
		err = t.text.ExecuteTemplate(&b, TemplateDigest+".txt.tmpl", v)
	case "markdown", "md":
		err = t.text.ExecuteTemplate(&b, TemplateDigest+".md.tmpl", v)
	case "html":
		err = t.html.ExecuteTemplate(&b, TemplateDigest+".html.tmpl", v)
	default:
		return nil, drone.Errorf(drone.EINVALID, "format %q must be text, markdown, json or html", format)
	}
	if err != nil {
		return nil, fmt.Errorf("rendering the report as %s: %w", format, err)
	}
	return b.Bytes(), nil
}

// TemplateFor returns the template of an event for an audience.
func TemplateFor(event, audience string) string {
	switch {
	case event == EventDigest:
		return TemplateDigest
	case event == EventClosed:
		return TemplateClose
	case audience == drone.AudienceLeaders:
		return TemplateLeader
	}
	return TemplateNotification
}
