package servicenowtest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ttp0/drone/servicenow/servicenowtest"
)

func call(t *testing.T, srv *servicenowtest.Server, bearer, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSpeaksLikeTheTableAPI checks the stand-in's answers that drone's
// error handling relies on.
func TestSpeaksLikeTheTableAPI(t *testing.T) {
	t.Parallel()
	srv := servicenowtest.New(t, servicenowtest.Options{})
	tok := srv.Token()
	status, body := call(t, srv, tok, "POST", "/api/now/table/incident", `{"short_description":"s","correlation_id":"drone-act-1-ab"}`)
	if status != 201 || !strings.Contains(body, `"number":"INC0010001"`) {
		t.Fatalf("insert: %d %s", status, body)
	}
	sysID := srv.Records("incident")[0]["sys_id"]
	q := url.Values{"sysparm_query": {"correlation_id=drone-act-1-ab^ORDERBYsys_created_on"}, "sysparm_limit": {"1"}}
	for name, tc := range map[string]struct {
		bearer, method, path, body string
		status                     int
		says                       string
	}{
		"no credentials":         {"", "GET", "/api/now/table/incident", "", 401, "User Not Authenticated"},
		"no such table":          {tok, "GET", "/api/now/table/u_nothing", "", 400, "Invalid table u_nothing"},
		"found by correlation":   {tok, "GET", "/api/now/table/incident?" + q.Encode(), "", 200, sysID},
		"a query it cannot read": {tok, "GET", "/api/now/table/incident?sysparm_query=stateIN1,2", "", 400, "does not understand"},
		"no such record":         {tok, "GET", "/api/now/table/incident/0123", "", 404, "No Record found"},
	} {
		status, body := call(t, srv, tc.bearer, tc.method, tc.path, tc.body)
		if status != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %s, want %d with %q", name, status, body, tc.status, tc.says)
		}
	}
	// The incident table's data policy, in this order: refused, then taken.
	status, body = call(t, srv, tok, "PATCH", "/api/now/table/incident/"+sysID, `{"state":"6","close_code":"Solution provided"}`)
	if status != 403 || !strings.Contains(body, "Resolution notes") {
		t.Errorf("resolved without notes: %d %s, want 403 naming Resolution notes", status, body)
	}
	status, body = call(t, srv, tok, "PATCH", "/api/now/table/incident/"+sysID, `{"state":"6","close_code":"Solution provided","close_notes":"done"}`)
	if status != 200 || !strings.Contains(body, `"state":"6"`) {
		t.Errorf("resolved with notes: %d %s, want 200 in state 6", status, body)
	}
}
