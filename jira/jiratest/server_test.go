package jiratest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ttp0/drone/jira/jiratest"
)

func call(t *testing.T, srv *jiratest.Server, auth, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func basic(srv *jiratest.Server) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(srv.Email()+":"+srv.Token()))
}

// TestSpeaksLikeJira checks the stand-in's answers that drone's error
// handling relies on.
func TestSpeaksLikeJira(t *testing.T) {
	t.Parallel()
	cloud := jiratest.New(t, jiratest.Options{})
	dc := jiratest.New(t, jiratest.Options{Flavour: jiratest.DataCenter})
	create := func(desc string) string {
		return `{"fields":{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"s","description":` + desc + `}}`
	}
	adf := `{"type":"doc","version":1,"content":[]}`
	for name, tc := range map[string]struct {
		srv          *jiratest.Server
		auth         string
		method, path string
		body         string
		status       int
		says         string
	}{
		"no credentials":          {cloud, "", "GET", "/rest/api/3/myself", "", 401, ""},
		"a bearer token on Cloud": {cloud, "Bearer " + cloud.Token(), "GET", "/rest/api/3/myself", "", 401, ""},
		"basic on Data Center":    {dc, basic(dc), "GET", "/rest/api/2/myself", "", 401, ""},
		"v3 on Data Center":       {dc, "Bearer " + dc.Token(), "GET", "/rest/api/3/myself", "", 404, "errorMessages"},
		"a string on v3":          {cloud, basic(cloud), "POST", "/rest/api/3/issue", create(`"text"`), 400, "Atlassian Document"},
		"ADF on v3":               {cloud, basic(cloud), "POST", "/rest/api/3/issue", create(adf), 201, `"key":"SEC-1"`},
		"ADF on v2":               {dc, "Bearer " + dc.Token(), "POST", "/rest/api/2/issue", create(adf), 400, "must be a string"},
		"a string on v2":          {dc, "Bearer " + dc.Token(), "POST", "/rest/api/2/issue", create(`"text"`), 201, `"key":"SEC-1"`},
		"JQL it cannot read":      {cloud, basic(cloud), "POST", "/rest/api/3/search/jql", `{"jql":"status was Done"}`, 400, "errorMessages"},
		"an unknown field":        {cloud, basic(cloud), "POST", "/rest/api/3/issue", `{"fields":{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"s","priority":{"name":"High"}}}`, 400, "priority"},
	} {
		status, body := call(t, tc.srv, tc.auth, tc.method, tc.path, tc.body)
		if status != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %s, want %d with %q", name, status, body, tc.status, tc.says)
		}
	}
	// The JQL drone writes finds the issue by its label.
	_, body := call(t, cloud, basic(cloud), "POST", "/rest/api/3/issue",
		`{"fields":{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"t","labels":["drone","drone-act-2-abcd"]}}`)
	var created struct{ Key string }
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	_, body = call(t, cloud, basic(cloud), "POST", "/rest/api/3/search/jql",
		`{"jql":"project = \"SEC\" AND labels = \"drone-act-2-abcd\" ORDER BY created ASC","fields":["labels"]}`)
	var found struct {
		Issues []struct{ Key string }
		IsLast bool
	}
	if err := json.Unmarshal([]byte(body), &found); err != nil || len(found.Issues) != 1 || found.Issues[0].Key != created.Key || !found.IsLast {
		t.Errorf("search by label: %s (%v), want %s alone", body, err, created.Key)
	}
}
