package configs

import "embed"

// Templates holds the shipped notification templates, in the directory
// "templates": the Security Incident Notification (sin), the leaders'
// summary (leader), the close report (close) and the digest (digest), each
// as plain text (.txt.tmpl, text/template) and HTML (.html.tmpl,
// html/template), plus the digest in Markdown for drone report. An
// organisation overrides any of them with notify.templates.
//
//go:embed templates/*.tmpl
var Templates embed.FS

// ReviewTemplate is the shipped post-incident review template
// (templates/review.md.tmpl, text/template writing Markdown); an
// organisation replaces it with review.template.
//
//go:embed templates/review.md.tmpl
var ReviewTemplate string
