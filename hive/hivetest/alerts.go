package hivetest

import (
	"fmt"
	"net/http"
	"slices"
)

type alertIn struct {
	Type         string         `json:"type"`
	Source       string         `json:"source"`
	SourceRef    string         `json:"sourceRef"`
	Title        string         `json:"title"`
	Description  string         `json:"description"`
	Severity     *int           `json:"severity"`
	TLP          *int           `json:"tlp"`
	PAP          *int           `json:"pap"`
	Tags         []string       `json:"tags"`
	Date         int64          `json:"date"`
	CaseTemplate string         `json:"caseTemplate"`
	Observables  []observableIn `json:"observables"`
	Artifacts    []observableIn `json:"artifacts"`
}

func (s *Server) checkAlert(api string, in alertIn) error {
	required := [][2]string{{"type", in.Type}, {"source", in.Source}, {"sourceRef", in.SourceRef},
		{"title", in.Title}, {"description", in.Description}}
	for _, f := range required {
		if f[1] == "" {
			return attributeError("Missing attribute: %s", f[0])
		}
	}
	if err := checkLevels(api, in.Severity, in.TLP, in.PAP); err != nil {
		return err
	}
	if err := s.checkRefs(in.CaseTemplate, ""); err != nil {
		return err
	}
	for _, o := range slices.Concat(in.Observables, in.Artifacts) {
		if err := s.checkObservable(api, o, false); err != nil {
			return err
		}
		if _, err := o.values(); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) createAlert(api string, w http.ResponseWriter, r *http.Request) {
	var in alertIn
	if err := readJSON(r, &in); err != nil {
		fail(w, err)
		return
	}
	if err := s.checkAlert(api, in); err != nil {
		fail(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.st.alerts {
		if a.Type == in.Type && a.Source == in.Source && a.SourceRef == in.SourceRef {
			fail(w, &apiError{http.StatusBadRequest, "CreateError",
				fmt.Sprintf("Alert (%s, %s, %s) already exists", in.Type, in.Source, in.SourceRef)})
			return
		}
	}
	a := s.newAlert(in)
	s.st.alerts = append(s.st.alerts, a)
	writeJSON(w, http.StatusCreated, s.renderAlert(api, a))
}

func (s *Server) newAlert(in alertIn) *Alert {
	now := s.opts.Now()
	a := &Alert{
		ID: s.st.newID(), Type: in.Type, Source: in.Source, SourceRef: in.SourceRef,
		Title: in.Title, Description: in.Description, Severity: or(in.Severity, 2),
		TLP: or(in.TLP, 2), PAP: or(in.PAP, 2), Tags: uniq(in.Tags),
		CaseTemplate: in.CaseTemplate, Status: "New", CreatedAt: now,
	}
	for _, o := range slices.Concat(in.Observables, in.Artifacts) {
		data, _ := o.values() // checked by checkAlert
		for _, d := range data {
			a.Observables = append(a.Observables, Observable{
				ID: s.st.newID(), DataType: *o.DataType, Data: d, Message: o.Message,
				TLP: or(o.TLP, 2), PAP: or(o.PAP, -1), IOC: o.IOC, Sighted: o.Sighted, Tags: uniq(o.Tags), CreatedAt: now,
			})
		}
	}
	return a
}

func (s *Server) promoteAlert(api string, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.findAlert(id)
	switch {
	case a == nil:
		fail(w, notFound("Alert", id))
		return
	case a.CaseID != "":
		fail(w, badRequest("Alert %s has already been imported in case %s", a.ID, a.CaseID))
		return
	}
	now := s.opts.Now()
	s.st.nextNumber++
	c := &Case{
		ID: s.st.newID(), Number: s.st.nextNumber, API: api, Title: a.Title, Description: a.Description,
		Severity: a.Severity, TLP: a.TLP, PAP: a.PAP, Tags: a.Tags, Status: "New", Stage: "New",
		CaseTemplate: a.CaseTemplate, StartDate: now, CreatedAt: now, CreatedBy: s.opts.Login,
	}
	s.st.cases = append(s.st.cases, c)
	for _, o := range a.Observables {
		cp := o
		cp.ID, cp.CaseID = s.st.newID(), c.ID
		s.st.observables[c.ID] = append(s.st.observables[c.ID], &cp)
	}
	a.CaseID, a.Status = c.ID, "Imported"
	writeJSON(w, http.StatusCreated, s.renderCase(api, c))
}
