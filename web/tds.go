package web

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/ttp0/drone/tds"
)

type tdsData struct {
	Library    *tds.Library
	Assessment *tds.Assessment
	Table      string // the table drone tds assess prints
	Hint       string
}

// tdsPage shows the threat library and, with an inventory configured, its
// assessment: the table the command line prints, and per threat whether it
// is visible, the events it is blind to and the earliest stage it shows at.
func (c *Console) tdsPage(w http.ResponseWriter, r *http.Request, u *user) {
	d := tdsData{Library: c.library, Assessment: c.assess, Hint: c.tdsHint}
	if c.assess != nil {
		var b bytes.Buffer
		if err := c.assess.Render(&b, "table"); err != nil {
			c.internal(w, r, u, err)
			return
		}
		d.Table = b.String()
	}
	c.render(w, r, u, http.StatusOK, "tds", "Threat Driven Security", d)
}

// navigator downloads the assessment as an ATT&CK Navigator layer.
func (c *Console) navigator(w http.ResponseWriter, r *http.Request, u *user) {
	if c.assess == nil {
		c.notFound(w, r, u)
		return
	}
	b, err := json.MarshalIndent(c.assess.Navigator(), "", "  ")
	if err != nil {
		c.internal(w, r, u, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="drone-tds-navigator-layer.json"`)
	_, _ = w.Write(append(b, '\n'))
}
