package hive

import (
	"encoding/json"
	"testing"
)

func TestDecodeObservables(t *testing.T) {
	body := `{"success":[{"_id":"~1","dataType":"ip","data":"192.0.2.1","tlp":4}],
		"failure":[{"type":"CreateError","message":"Observable already exists","object":{"data":"192.0.2.2"}},
		{"type":"ConflictError","message":"Artifact already exists","object":{"data":"x"}},
		{"type":"AttributeCheckingError","message":"bad","object":{"data":7}}]}`
	res, err := decodeObservables(APIv1, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 1 || res.Created[0].TLP != TLPRed || len(res.Failures) != 3 {
		t.Fatalf("result = %+v", res)
	}
	if d := res.Duplicates(); len(d) != 2 || d[0] != "192.0.2.2" {
		t.Errorf("duplicates = %v", d)
	}
	if e := res.Errors(); len(e) != 1 || e[0].Data != "7" {
		t.Errorf("errors = %+v", e)
	}
	for _, bad := range []string{"", "null", "42", "[1]", `{"success":1}`} {
		if _, err := decodeObservables(APIv1, []byte(bad)); err == nil {
			t.Errorf("decodeObservables(%q) succeeded", bad)
		}
	}
}

func TestParseAPIError(t *testing.T) {
	e := parseAPIError(404, []byte(`{"type":"NotFoundError","message":"Case ~1 not found"}`))
	if e.Type != "NotFoundError" || e.Message != "Case ~1 not found" {
		t.Errorf("TheHive body: %+v", e)
	}
	e = parseAPIError(502, []byte("<html>Bad Gateway</html>"))
	if e.Type != "" || e.Message != "<html>Bad Gateway</html>" {
		t.Errorf("proxy body: %+v", e)
	}
	if e = parseAPIError(503, nil); e.Message != "Service Unavailable" {
		t.Errorf("empty body: %+v", e)
	}
}

func TestDecodeCustomFields(t *testing.T) {
	for _, raw := range []string{
		`[{"name":"zone","value":"A","order":0}]`,
		`{"zone":"A"}`,
		`{"zone":{"string":"A","order":0}}`,
	} {
		if got := decodeCustomFields(json.RawMessage(raw)); got["zone"] != "A" {
			t.Errorf("decodeCustomFields(%s) = %v", raw, got)
		}
	}
}

func FuzzDecodeObservableResponse(f *testing.F) {
	f.Add([]byte(`[{"_id":"~1","dataType":"ip","data":"192.0.2.1","tlp":2}]`))
	f.Add([]byte(`{"success":[],"failure":[{"type":"CreateError","message":"Observable already exists","object":{"data":"x"}}]}`))
	f.Add([]byte(`{"failure":[{"object":[1,2]}]}`))
	f.Add([]byte(`[{"tlp":-9}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, api := range []string{APIv1, APIv0} {
			res, err := decodeObservables(api, body)
			if err == nil {
				_ = res.Duplicates()
				_ = res.Errors()
			}
		}
	})
}

func FuzzDecodeCase(f *testing.F) {
	f.Add([]byte(`{"_id":"~1","number":1,"tlp":4,"pap":9,"stage":"Closed","status":"TruePositive","customFields":[{"name":"a","value":1}]}`))
	f.Add([]byte(`{"id":"~1","caseId":3,"status":"Resolved","customFields":{"a":{"string":"x"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, api := range []string{APIv1, APIv0} {
			c := &Client{api: api}
			_, _ = c.decodeCase("GET", "/x", body)
			_ = parseAPIError(500, body)
		}
	})
}
