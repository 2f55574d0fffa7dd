package cortextest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ttp0/drone/cortex/cortextest"
)

// call sends one request as curl would, and decodes the JSON answer.
func call(t *testing.T, srv *cortextest.Server, key, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode
}

// TestWireFormat drives the stand-in with the requests of Cortex's API
// guide and checks the answers' shapes.
func TestWireFormat(t *testing.T) {
	t.Parallel()
	srv := cortextest.New(t, cortextest.Options{Analyzers: []cortextest.Analyzer{
		{Name: "Abuse_Finder_3_0", DataTypes: []string{"ip", "domain"}}, {Name: "Hash_1_0", DataTypes: []string{"hash"}}}})
	var errBody map[string]string
	if code := call(t, srv, "wrong", "GET", "/api/analyzer", "", &errBody); code != 401 || errBody["type"] != "AuthenticationError" {
		t.Errorf("bad key: %d %v", code, errBody)
	}
	var analyzers []map[string]any
	call(t, srv, srv.Key(), "GET", "/api/analyzer/type/ip", "", &analyzers)
	if len(analyzers) != 1 || analyzers[0]["name"] != "Abuse_Finder_3_0" || len(analyzers[0]["id"].(string)) != 32 {
		t.Errorf("analyzers for ip: %v", analyzers)
	}
	call(t, srv, srv.Key(), "POST", "/api/analyzer/_search?range=all", `{"query": {"dataTypeList": "hash"}}`, &analyzers)
	if len(analyzers) != 1 || analyzers[0]["name"] != "Hash_1_0" {
		t.Errorf("search by dataTypeList: %v", analyzers)
	}
	var job map[string]any
	id := srv.AnalyzerID("Abuse_Finder_3_0")
	call(t, srv, srv.Key(), "POST", "/api/analyzer/"+id+"/run", `{"data":"8.8.8.8","dataType":"ip","tlp":0,"message":"m"}`, &job)
	if job["status"] != "InProgress" || job["analyzerId"] != id || job["pap"] != 2.0 {
		t.Errorf("run: %v", job)
	}
	var report map[string]any
	call(t, srv, srv.Key(), "GET", "/api/job/"+job["id"].(string)+"/waitreport?atMost=1minute", "", &report)
	summary := report["report"].(map[string]any)["summary"].(map[string]any)
	if report["status"] != "Success" || len(summary["taxonomies"].([]any)) != 1 {
		t.Errorf("waitreport: %v", report)
	}
	var jobs []map[string]any
	call(t, srv, srv.Key(), "POST", "/api/job/_search", `{"query": {"_and": [{"status": "Success"}, {"_field": "dataType", "_value": "ip"}]}}`, &jobs)
	if len(jobs) != 1 {
		t.Errorf("job search: %v", jobs)
	}
	call(t, srv, srv.Key(), "POST", "/api/job/_search", `{"query": {"_and": [{"status": "Failure"}]}}`, &jobs)
	if len(jobs) != 0 {
		t.Errorf("job search for failures: %v", jobs)
	}
	if code := call(t, srv, srv.Key(), "GET", "/api/job/x/waitreport?atMost=soon", "", &errBody); code != 400 {
		t.Errorf("a bad atMost: %d %v", code, errBody)
	}
	if code := call(t, srv, srv.Key(), "POST", "/api/analyzer/"+id+"/run", `{"data":"x","dataType":"hash"}`, &errBody); code != 400 {
		t.Errorf("a data type the analyzer does not take: %d %v", code, errBody)
	}
}
