package hivetest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// call sends a request with the server's key and decodes the JSON answer.
func call(t *testing.T, s *Server, method, path string, body any, hdr ...string) (int, any, http.Header) {
	t.Helper()
	var rdr *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rdr = bytes.NewReader(b)
	} else {
		rdr = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, s.URL()+path, rdr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Key())
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil && resp.StatusCode != http.StatusNoContent {
		t.Fatalf("%s %s: %d with undecodable body: %v", method, path, resp.StatusCode, err)
	}
	return resp.StatusCode, out, resp.Header
}

func errType(v any) string {
	m, _ := v.(map[string]any)
	typ, _ := m["type"].(string)
	return typ
}

func newCase(t *testing.T, s *Server, prefix string, extra map[string]any) map[string]any {
	t.Helper()
	body := map[string]any{"title": "t", "description": "d"}
	for k, v := range extra {
		body[k] = v
	}
	status, out, _ := call(t, s, "POST", prefix+"/case", body)
	if status != http.StatusCreated {
		t.Fatalf("create case: %d %v", status, out)
	}
	return out.(map[string]any)
}

func TestAuthentication(t *testing.T) {
	s := New(t, Options{Organisation: "soc"})
	req, _ := http.NewRequest("GET", s.URL()+"/api/v1/user/current", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 401 || body["type"] != "AuthenticationError" {
		t.Errorf("no key: %d %v", resp.StatusCode, body)
	}
	if status, out, _ := call(t, s, "GET", "/api/v1/user/current", nil, "X-Organisation", "other"); status != 403 || errType(out) != "AuthorizationError" {
		t.Errorf("other organisation: %d %v", status, out)
	}
	if status, out, _ := call(t, s, "GET", "/api/user/current", nil, "X-Organisation", "soc"); status != 200 || out.(map[string]any)["id"] != s.opts.Login {
		t.Errorf("v0 current user: %d %v", status, out)
	}
	if status, out, _ := call(t, s, "GET", "/api/v2/nothing", nil); status != 404 || errType(out) != "NotFoundError" {
		t.Errorf("unknown route: %d %v", status, out)
	}
	other, err := NewServer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if other.Key() == "" || other.Key() == s.Key() || !strings.HasPrefix(other.URL(), "http://127.0.0.1:") {
		t.Errorf("NewServer: key %q url %q", other.Key(), other.URL())
	}
}

func TestConcurrentDuplicateObservables(t *testing.T) {
	s := New(t, Options{})
	c := newCase(t, s, "/api/v1", nil)
	path := "/api/v1/case/" + c["_id"].(string) + "/observable"
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 16 {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", s.URL()+path, strings.NewReader(`{"dataType":"ip","data":["192.0.2.7"]}`))
			req.Header.Set("Authorization", "Bearer "+s.Key())
			status := 0
			if resp, err := http.DefaultClient.Do(req); err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
			mu.Lock()
			codes[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[201] != 1 || codes[207] != 15 || len(s.Observables(c["_id"].(string))) != 1 {
		t.Errorf("codes %v, observables %d", codes, len(s.Observables(c["_id"].(string))))
	}
}

func TestCaseShapesAndUpdates(t *testing.T) {
	s := New(t, Options{CustomFields: []string{"zone"}})
	c := newCase(t, s, "/api/v1", map[string]any{"customFields": []map[string]any{{"name": "zone", "value": "A", "order": 0}}})
	id := c["_id"].(string)
	if c["_type"] != "Case" || c["number"] != 1.0 || c["stage"] != "New" || c["tlpLabel"] != "AMBER" {
		t.Errorf("v1 case = %v", c)
	}
	status, out, _ := call(t, s, "PATCH", "/api/v1/case/"+id, map[string]any{"status": "FalsePositive", "impactStatus": "NoImpact"})
	if status != http.StatusNoContent || out != nil {
		t.Errorf("v1 PATCH: %d %v", status, out)
	}
	status, out, _ = call(t, s, "PATCH", "/api/case/1", map[string]any{"status": "Resolved", "resolutionStatus": "TruePositive"})
	m, _ := out.(map[string]any)
	if status != 200 || m["status"] != "Resolved" || m["resolutionStatus"] != "TruePositive" || m["caseId"] != 1.0 {
		t.Errorf("v0 PATCH: %d %v", status, out)
	}
	if cs, _ := s.Case(id); cs.Status != "TruePositive" || cs.Stage != "Closed" || cs.CustomFields["zone"] != "A" {
		t.Errorf("stored case = %+v", cs)
	}
	for _, bad := range []map[string]any{{"colour": "red"}, {"status": "Open"}, {"tlp": 9}, {"customFields": map[string]any{"tier": "T1"}}} {
		if status, _, _ := call(t, s, "PATCH", "/api/v1/case/"+id, bad); status != 400 && status != 404 {
			t.Errorf("PATCH %v: %d", bad, status)
		}
	}
	if cs, _ := s.Case(id); cs.TLP != 2 {
		t.Errorf("refused PATCH changed the case: %+v", cs)
	}
}

func TestCaseValidation(t *testing.T) {
	s := New(t, Options{CaseTemplates: []string{"known"}})
	tests := []struct {
		path   string
		body   map[string]any
		status int
		typ    string
	}{
		{"/api/v1/case", map[string]any{"description": "d"}, 400, "AttributeCheckingError"},
		{"/api/v1/case", map[string]any{"title": "t", "description": "d", "severity": 5}, 400, "AttributeCheckingError"},
		{"/api/case", map[string]any{"title": "t", "description": "d", "tlp": 4}, 400, "AttributeCheckingError"},
		{"/api/v1/case", map[string]any{"title": "t", "description": "d", "caseTemplate": "unknown"}, 404, "NotFoundError"},
		{"/api/v1/case", map[string]any{"title": "t", "description": "d", "assignee": "nobody"}, 404, "NotFoundError"},
		{"/api/v1/case", map[string]any{"title": "t", "description": "d", "tasks": []map[string]any{{"group": "g"}}}, 400, "AttributeCheckingError"},
	}
	for _, tt := range tests {
		if status, out, _ := call(t, s, "POST", tt.path, tt.body); status != tt.status || errType(out) != tt.typ {
			t.Errorf("POST %s %v: %d %v, want %d %s", tt.path, tt.body, status, out, tt.status, tt.typ)
		}
	}
	if n := len(s.Cases()); n != 0 {
		t.Errorf("refused cases were stored: %d", n)
	}
}

func TestQueryAndSearch(t *testing.T) {
	s := New(t, Options{})
	for i := range 5 {
		tags := []string{"x"}
		if i == 2 {
			tags = []string{"y"}
		}
		newCase(t, s, "/api/v1", map[string]any{"tags": tags})
	}
	query := map[string]any{"query": []map[string]any{
		{"_name": "listCase"},
		{"_name": "filter", "_eq": map[string]any{"_field": "tags", "_value": "x"}},
		{"_name": "sort", "_fields": []map[string]string{{"_createdAt": "desc"}}},
		{"_name": "page", "from": 1, "to": 3},
	}}
	status, out, _ := call(t, s, "POST", "/api/v1/query", query)
	if got := numbers(out); status != 200 || len(got) != 2 || got[0] != 4 || got[1] != 2 {
		t.Errorf("query: %d numbers %v, want [4 2]", status, got)
	}
	bad := map[string]any{"query": []map[string]any{{"_name": "listAlert"}}}
	if status, out, _ := call(t, s, "POST", "/api/v1/query", bad); status != 400 || errType(out) != "BadRequest" {
		t.Errorf("listAlert query: %d %v", status, out)
	}
	search := map[string]any{"query": map[string]any{"_and": []map[string]any{{"_field": "tags", "_value": "x"}}}}
	status, out, hdr := call(t, s, "POST", "/api/case/_search?range=0-2", search)
	if got := numbers(out); status != 200 || len(got) != 2 || got[0] != 1 || hdr.Get("X-Total") != "4" {
		t.Errorf("v0 search: %d %v total %s", status, got, hdr.Get("X-Total"))
	}
	if status, _, _ := call(t, s, "POST", "/api/case/_search?range=9-1", search); status != 400 {
		t.Errorf("bad range: %d", status)
	}
}

// numbers reads the case numbers of a v1 or v0 list.
func numbers(v any) []int {
	list, _ := v.([]any)
	var out []int
	for _, item := range list {
		m := item.(map[string]any)
		n, ok := m["number"].(float64)
		if !ok {
			n, _ = m["caseId"].(float64)
		}
		out = append(out, int(n))
	}
	return out
}

func TestFaults(t *testing.T) {
	s := New(t, Options{})
	s.FailNext(2, http.StatusServiceUnavailable)
	for i := range 2 {
		if status, out, _ := call(t, s, "GET", "/api/v1/status", nil); status != 503 || errType(out) != "InternalError" {
			t.Errorf("failure %d: %d %v", i, status, out)
		}
	}
	if status, _, _ := call(t, s, "GET", "/api/v1/status", nil); status != 200 {
		t.Errorf("after the failures: %d", status)
	}
	s.DropResponseAfterCommit(1)
	req, _ := http.NewRequest("POST", s.URL()+"/api/v1/case", strings.NewReader(`{"title":"t","description":"d"}`))
	req.Header.Set("Authorization", "Bearer "+s.Key())
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped answer arrived: %d", resp.StatusCode)
	}
	if n := len(s.Cases()); n != 1 {
		t.Errorf("dropped request committed %d cases, want 1", n)
	}
	if n := s.Count("POST /api/v1/case"); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
	s.Latency(5 * time.Second)
	client := &http.Client{Timeout: 50 * time.Millisecond}
	start := time.Now()
	if _, err := client.Get(s.URL() + "/api/v1/status"); err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("latency: err %v after %v", err, time.Since(start))
	}
	s.Latency(0)
	var found bool
	for _, r := range s.Requests() {
		found = found || (r.Method == "GET" && r.Path == "/api/v1/status" && r.Pattern == "GET /api/v1/status" && r.Count == 4)
	}
	if !found {
		t.Errorf("Requests() = %+v, want GET /api/v1/status counted 4 times", s.Requests())
	}
}

func TestTasksLogsAlerts(t *testing.T) {
	s := New(t, Options{})
	c := newCase(t, s, "/api", nil)
	id := c["id"].(string)
	status, task, _ := call(t, s, "POST", "/api/case/"+id+"/task", map[string]any{"title": "Contain", "owner": s.opts.Login})
	tm, _ := task.(map[string]any)
	if status != 201 || tm["owner"] != s.opts.Login || tm["status"] != "Waiting" {
		t.Fatalf("v0 task: %d %v", status, task)
	}
	if status, out, _ := call(t, s, "POST", "/api/case/task/"+tm["id"].(string)+"/log", map[string]any{"message": "done"}); status != 201 {
		t.Errorf("v0 log: %d %v", status, out)
	}
	if status, out, _ := call(t, s, "POST", "/api/case/"+id+"/task", map[string]any{"title": "x", "status": "Sleeping"}); status != 400 {
		t.Errorf("bad task status: %d %v", status, out)
	}
	alert := map[string]any{"type": "t", "source": "s", "sourceRef": "r", "title": "a", "description": "d",
		"artifacts": []map[string]any{{"dataType": "mail", "data": "a@example.org"}}}
	status, out, _ := call(t, s, "POST", "/api/alert", alert)
	am, _ := out.(map[string]any)
	if status != 201 || am["_type"] != "alert" {
		t.Fatalf("v0 alert: %d %v", status, out)
	}
	if status, out, _ := call(t, s, "POST", "/api/v1/alert", alert); status != 400 || errType(out) != "CreateError" {
		t.Errorf("duplicate alert: %d %v", status, out)
	}
	if status, _, _ := call(t, s, "POST", "/api/alert/"+am["id"].(string)+"/createCase", nil); status != 201 {
		t.Errorf("promote: %d", status)
	}
	if status, out, _ := call(t, s, "POST", "/api/alert/"+am["id"].(string)+"/createCase", nil); status != 400 {
		t.Errorf("second promote: %d %v", status, out)
	}
}
