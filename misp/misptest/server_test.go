package misptest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ttp0/drone/misp/misptest"
)

func post(t *testing.T, srv *misptest.Server, key, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestStandIn(t *testing.T) {
	srv := misptest.New(t, "key")
	srv.AddEvent(misptest.Event{Info: "APT-X", ThreatLevelID: "1", Tags: []string{"tlp:green"},
		Attributes: []*misptest.Attribute{{Type: "domain|ip", Value: "evil.example|203.0.113.7"}}})
	if resp := post(t, srv, "wrong", "/attributes/restSearch", `{}`); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a wrong key: %d, want 403", resp.StatusCode)
	}
	resp := post(t, srv, "key", "/attributes/restSearch", `{"returnFormat":"json","value":"203.0.113.7","type":["ip-dst","domain|ip"],"includeContext":true,"includeEventTags":true}`)
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`"response":{"Attribute":[{`, `"threat_level_id":"1"`, `"name":"tlp:green"`, `"value":"evil.example|203.0.113.7"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("search answer lacks %s:\n%s", want, b)
		}
	}
	srv.FailNext(misptest.RouteAttributeSearch, 1, http.StatusTooManyRequests)
	if resp := post(t, srv, "key", "/attributes/restSearch", `{}`); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("injected 429: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	srv.Limit(1)
	post(t, srv, "key", "/attributes/restSearch", `{}`)
	if resp := post(t, srv, "key", "/attributes/restSearch", `{}`); resp.StatusCode != 429 || srv.Limited() != 1 {
		t.Errorf("beyond the limit: %d, %d refused", resp.StatusCode, srv.Limited())
	}
	srv.Limit(0)
	if n := srv.Calls(misptest.RouteAttributeSearch); n != 4 {
		t.Errorf("%d searches counted, want 4 (the wrong key's is not)", n)
	}
}
