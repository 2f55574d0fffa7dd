package cortextest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func (s *Server) run(w http.ResponseWriter, r *http.Request) {
	a, ok := s.findAnalyzer(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("worker %s not found", r.PathValue("id")))
		return
	}
	var in struct {
		Data     *string `json:"data"`
		DataType string  `json:"dataType"`
		TLP      *int    `json:"tlp"`
		PAP      *int    `json:"pap"`
		Message  string  `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "invalid JSON: "+err.Error())
		return
	}
	switch {
	case in.Data == nil || *in.Data == "":
		writeError(w, http.StatusBadRequest, "AttributeCheckingError", "data: missing")
		return
	case !contains(a.DataTypes, in.DataType):
		writeError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("worker %s does not accept data type %q", a.Name, in.DataType))
		return
	}
	tlp, pap := 2, 2 // Cortex's defaults
	if in.TLP != nil {
		tlp = *in.TLP
	}
	if in.PAP != nil {
		pap = *in.PAP
	}
	if tlp < 0 || tlp > 3 || pap < 0 || pap > 3 {
		writeError(w, http.StatusBadRequest, "AttributeCheckingError", "tlp and pap must be 0 to 3")
		return
	}
	s.mu.Lock()
	j := &job{Run: Run{JobID: fmt.Sprintf("AWcortextest%06d", len(s.jobs)+1), AnalyzerID: a.ID, AnalyzerName: a.Name,
		DataType: in.DataType, Data: *in.Data, TLP: tlp, PAP: pap, Message: in.Message},
		status: "InProgress", pending: s.polls, created: s.opts.Now()}
	j.report = s.reportFor(a.Name, j.Data)
	s.jobs = append(s.jobs, j)
	s.runs = append(s.runs, j.Run)
	out := s.jobJSON(j)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) reportFor(analyzer, data string) Report {
	if r, ok := s.reports[analyzer+"\x00"+data]; ok {
		return r
	}
	ns := strings.SplitN(analyzer, "_", 2)[0]
	return Report{Taxonomies: []Taxonomy{{Level: "info", Namespace: ns, Predicate: "Result", Value: "not found"}}}
}

// jobJSON is Cortex 3's rendering of a job; s.mu is held.
func (s *Server) jobJSON(j *job) map[string]any {
	ms := j.created.UnixMilli()
	out := map[string]any{"id": j.JobID, "_id": j.JobID, "_type": "job", "analyzerId": j.AnalyzerID, "workerId": j.AnalyzerID,
		"analyzerName": j.AnalyzerName, "workerName": j.AnalyzerName, "analyzerDefinitionId": j.AnalyzerName,
		"workerDefinitionId": j.AnalyzerName, "status": j.status, "data": j.Data, "dataType": j.DataType,
		"tlp": j.TLP, "pap": j.PAP, "message": j.Message, "parameters": map[string]any{}, "type": "analyzer",
		"organization": "cortextest", "createdAt": ms, "createdBy": "drone", "date": ms, "startDate": ms}
	if j.status == "Success" || j.status == "Failure" {
		out["endDate"] = ms
	}
	if j.status == "Failure" {
		out["errorMessage"] = j.report.Failure
	}
	return out
}

func (s *Server) find(id string) *job {
	for _, j := range s.jobs {
		if j.JobID == id {
			return j
		}
	}
	return nil
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.find(r.PathValue("id"))
	if j == nil {
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("job %s not found", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, s.jobJSON(j))
}

func (s *Server) searchJobs(w http.ResponseWriter, r *http.Request) {
	q, err := readQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	s.mu.Lock()
	all := make([]map[string]any, 0, len(s.jobs))
	for i := len(s.jobs) - 1; i >= 0; i-- { // newest first, Cortex's default sort
		all = append(all, s.jobJSON(s.jobs[i]))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, page(filter(all, q), r))
}

// waitReport answers a job with its report once done; a job still running
// is waited for up to atMost (Cortex's default 1 minute) while held, and
// answered at once otherwise.
func (s *Server) waitReport(w http.ResponseWriter, r *http.Request) {
	atMost, err := parseDuration(r.URL.Query().Get("atMost"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	s.mu.Lock()
	j := s.find(r.PathValue("id"))
	held, released := s.held, s.released
	s.mu.Unlock()
	if j == nil {
		writeError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("job %s not found", r.PathValue("id")))
		return
	}
	if held {
		t := time.NewTimer(atMost)
		defer t.Stop()
		select {
		case <-released:
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(j)
	out := s.jobJSON(j)
	switch j.status {
	case "Success":
		full := j.report.Full
		if full == nil {
			full = map[string]any{"data": j.Data}
		}
		out["report"] = map[string]any{"summary": map[string]any{"taxonomies": nonNil(j.report.Taxonomies)},
			"full": full, "success": true, "artifacts": []any{}}
	case "Failure":
		out["report"] = j.report.Failure
	default:
		out["report"] = "Running"
	}
	writeJSON(w, http.StatusOK, out)
}

// advance moves a job on by one poll; s.mu is held.
func (s *Server) advance(j *job) {
	switch {
	case j.status != "InProgress" || s.held:
	case j.pending > 0:
		j.pending--
	case j.report.Failure != "":
		j.status = "Failure"
	default:
		j.status = "Success"
	}
}

func nonNil(t []Taxonomy) []Taxonomy {
	if t == nil {
		return []Taxonomy{}
	}
	return t
}

// parseDuration reads Cortex's (Scala's) durations: "30seconds",
// "1minute", "2 hours"; empty is Cortex's default, 1 minute.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Minute, nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 {
		return 0, fmt.Errorf("atMost: %q is not a duration such as 30seconds", s)
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, fmt.Errorf("atMost: %q is not a duration such as 30seconds", s)
	}
	units := map[string]time.Duration{"ms": time.Millisecond, "millisecond": time.Millisecond, "milliseconds": time.Millisecond,
		"s": time.Second, "second": time.Second, "seconds": time.Second, "m": time.Minute, "minute": time.Minute,
		"minutes": time.Minute, "h": time.Hour, "hour": time.Hour, "hours": time.Hour}
	u, ok := units[strings.TrimSpace(s[i:])]
	if !ok {
		return 0, fmt.Errorf("atMost: unknown unit in %q", s)
	}
	return time.Duration(n * float64(u)), nil
}
