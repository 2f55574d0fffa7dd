package review

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"os"
	"strings"
	"text/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/ttp0/drone/configs"
)

// Renderer turns a View into the review's Markdown and HTML.
type Renderer struct {
	name string // the template's file, for errors
	tmpl *template.Template
	md   goldmark.Markdown
}

// shippedName names the shipped template in errors.
const shippedName = "configs/templates/review.md.tmpl"

// NewRenderer loads the review template from path, or the shipped one
// (configs/templates/review.md.tmpl) when path is empty. A template that
// does not parse is an error naming its file and line.
func NewRenderer(path string) (*Renderer, error) {
	name, text := shippedName, configs.ReviewTemplate
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading the review template: %w", err)
		}
		name, text = path, string(b)
	}
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		// text/template says "template: NAME:LINE: ...": the file and line.
		return nil, fmt.Errorf("the review template does not parse: %w", err)
	}
	// Raw HTML in the Markdown is dropped (no html.WithUnsafe): what
	// people typed must not become script in the printable copy.
	md := goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough))
	return &Renderer{name: name, tmpl: t, md: md}, nil
}

// Render renders v as Markdown and as a printable HTML page. A template
// that fails on the data (a field it names that View lacks) is an error
// naming the file and line.
func (r *Renderer) Render(v *View) (markdown, html string, err error) {
	var mdBuf bytes.Buffer
	if err := r.tmpl.Execute(&mdBuf, v); err != nil {
		return "", "", fmt.Errorf("rendering the review template: %w", err)
	}
	markdown = strings.TrimSpace(mdBuf.String()) + "\n"
	var body bytes.Buffer
	if err := r.md.Convert([]byte(markdown), &body); err != nil {
		return "", "", fmt.Errorf("rendering the review as HTML: %w", err)
	}
	var page bytes.Buffer
	err = pageTemplate.Execute(&page, struct {
		Title string
		Body  htmltemplate.HTML
	}{Title: "Post-incident review: " + v.Incident.Ref() + " " + v.Incident.Title, Body: htmltemplate.HTML(body.String())}) //nolint:gosec // goldmark's output without raw HTML
	if err != nil {
		return "", "", fmt.Errorf("rendering the review page: %w", err)
	}
	return markdown, page.String(), nil
}

// pageTemplate wraps the review in a page that prints well: one column,
// tables with rules, no scripts or outside resources.
var pageTemplate = htmltemplate.Must(htmltemplate.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 50em; margin: 2em auto; padding: 0 1em; line-height: 1.45; color: #111; }
h1 { font-size: 1.5em; border-bottom: 2px solid #333; padding-bottom: .2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #bbb; }
table { border-collapse: collapse; width: 100%; margin: .5em 0; }
th, td { border: 1px solid #bbb; padding: .25em .5em; text-align: left; vertical-align: top; }
code { font-size: .95em; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
</style>
</head>
<body>
{{.Body}}</body>
</html>
`))
