package hivetest

import (
	"encoding/json"
	"net/http"
	"time"
)

type observableIn struct {
	DataType *string         `json:"dataType"`
	Data     json.RawMessage `json:"data"`
	Message  string          `json:"message"`
	TLP      *int            `json:"tlp"`
	PAP      *int            `json:"pap"`
	IOC      bool            `json:"ioc"`
	Sighted  bool            `json:"sighted"`
	Tags     []string        `json:"tags"`
}

// values reads data as a string or an array of strings.
func (in observableIn) values() ([]string, error) {
	var one string
	if json.Unmarshal(in.Data, &one) == nil {
		if one == "" {
			return nil, attributeError("Missing attribute: data")
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(in.Data, &many); err != nil || len(many) == 0 {
		return nil, attributeError("Missing attribute: data")
	}
	for _, v := range many {
		if v == "" {
			return nil, attributeError("Invalid attribute data: empty value")
		}
	}
	return many, nil
}

// checkObservable checks the data type, TLP and PAP of an observable
// input; attached says whether a file came with it, which a file
// observable, and it alone, must have.
func (s *Server) checkObservable(api string, in observableIn, attached bool) error {
	if in.DataType == nil || *in.DataType == "" {
		return attributeError("Missing attribute: dataType")
	}
	if !s.dataTypes[*in.DataType] {
		return notFound("ObservableType", *in.DataType)
	}
	isFile := *in.DataType == dataTypeFile
	switch {
	case isFile && !attached:
		return attributeError("Missing attribute: attachment (a file observable is uploaded as multipart/form-data)")
	case !isFile && attached:
		return attributeError("Invalid attribute attachment: only a file observable has one")
	case attached && len(in.Data) > 0 && string(in.Data) != "null":
		return attributeError("An observable can't contain data and attachment")
	}
	return checkLevels(api, nil, in.TLP, in.PAP)
}

type observableFailure struct {
	Type    string         `json:"type"`
	Message string         `json:"message"`
	Object  map[string]any `json:"object"`
}

// createObservables adds observables given as JSON, or one file observable
// uploaded as multipart/form-data.
func (s *Server) createObservables(api string, w http.ResponseWriter, r *http.Request) {
	if isMultipart(r) {
		s.createFileObservable(api, w, r)
		return
	}
	id := r.PathValue("id")
	var in observableIn
	if err := readJSON(r, &in); err != nil {
		fail(w, err)
		return
	}
	s.withCase(w, id, func(c *Case) {
		if err := s.checkObservable(api, in, false); err != nil {
			fail(w, err)
			return
		}
		data, err := in.values()
		if err != nil {
			fail(w, err)
			return
		}
		created, failed := s.addObservables(api, c.ID, in, data)
		if len(failed) == 0 {
			writeJSON(w, http.StatusCreated, created)
			return
		}
		if created == nil {
			created = []map[string]any{}
		}
		writeJSON(w, http.StatusMultiStatus, map[string]any{"success": created, "failure": failed})
	})
}

// addObservables creates each value the case does not hold yet; the
// others fail as duplicates. The caller holds s.mu.
func (s *Server) addObservables(api, caseID string, in observableIn, data []string) ([]map[string]any, []observableFailure) {
	var created []map[string]any
	var failed []observableFailure
	for _, d := range data {
		if s.st.hasObservable(caseID, *in.DataType, d) {
			failed = append(failed, observableFailure{"CreateError", "Observable already exists", map[string]any{"data": d}})
			continue
		}
		o := s.st.addObservable(caseID, in, d, s.opts.Now())
		created = append(created, s.renderObservable(api, o))
	}
	return created, failed
}

func (st *state) hasObservable(caseID, dataType, data string) bool {
	for _, o := range st.observables[caseID] {
		if o.DataType == dataType && o.Data == data {
			return true
		}
	}
	return false
}

func (st *state) addObservable(caseID string, in observableIn, data string, now time.Time) *Observable {
	o := &Observable{
		ID: st.newID(), CaseID: caseID, DataType: *in.DataType, Data: data, Message: in.Message,
		TLP: or(in.TLP, 2), PAP: or(in.PAP, -1), IOC: in.IOC, Sighted: in.Sighted, Tags: uniq(in.Tags),
		CreatedAt: now,
	}
	st.observables[caseID] = append(st.observables[caseID], o)
	return o
}
