package hivetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"
)

// part is one part of a multipart upload; a file part has a file name.
type part struct {
	name, filename, contentType, body string
}

// postUpload posts a multipart body to path and decodes the JSON answer.
func postUpload(t *testing.T, s *Server, path, contentType string, body []byte) (int, any) {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Key())
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	var out any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: %d with undecodable body: %v", path, resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

func multipartBody(t *testing.T, parts ...part) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := `form-data; name="` + p.name + `"`
		if p.filename != "" {
			disp += `; filename="` + p.filename + `"`
		}
		h.Set("Content-Disposition", disp)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(p.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

const eml = "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n"

func TestFileObservableUpload(t *testing.T) {
	for _, api := range []string{v1, v0} {
		t.Run(api, func(t *testing.T) {
			s := New(t, Options{})
			prefix := map[string]string{v1: "/api/v1", v0: "/api"}[api]
			c := newCase(t, s, prefix, nil)
			id := c["_id"].(string)
			path := map[string]string{v1: "/api/v1/case/" + id + "/observable", v0: "/api/case/" + id + "/artifact"}[api]
			meta := part{name: "_json", body: `{"dataType":"file","message":"reported","tlp":2,"pap":1,"tags":["phish"],"ioc":false}`}
			file := part{name: "attachment", filename: "report.eml", contentType: "message/rfc822", body: eml}
			ct, body := multipartBody(t, meta, file)
			status, out := postUpload(t, s, path, ct, body)
			if status != http.StatusCreated {
				t.Fatalf("upload: %d %v", status, out)
			}
			sum := sha256.Sum256([]byte(eml))
			want := hex.EncodeToString(sum[:])
			got := out.([]any)[0].(map[string]any)
			att, _ := got["attachment"].(map[string]any)
			if got["dataType"] != "file" || got["data"] != nil || att == nil || att["name"] != "report.eml" ||
				att["hashes"].([]any)[0] != want || att["size"] != float64(len(eml)) || att["contentType"] != "message/rfc822" {
				t.Errorf("answer = %v", got)
			}
			atts := s.Attachments(id)
			if len(atts) != 1 || atts[0].SHA256 != want || string(atts[0].Content) != eml || atts[0].Name != "report.eml" {
				t.Fatalf("attachments = %+v", atts)
			}
			if o := s.Observables(id)[0]; o.Message != "reported" || o.TLP != 2 || o.Tags[0] != "phish" {
				t.Errorf("observable = %+v", o)
			}

			// The same content again, under another name: a duplicate.
			ct, body = multipartBody(t, meta, part{name: "attachment", filename: "again.eml", body: eml})
			status, out = postUpload(t, s, path, ct, body)
			failure, _ := out.(map[string]any)["failure"].([]any)
			if status != http.StatusMultiStatus || len(failure) != 1 || failure[0].(map[string]any)["type"] != "CreateError" {
				t.Errorf("duplicate upload: %d %v", status, out)
			}
			if n := len(s.Attachments(id)); n != 1 {
				t.Errorf("case holds %d attachments after a duplicate, want 1", n)
			}
		})
	}
}

func TestFileObservableMalformed(t *testing.T) {
	s := New(t, Options{})
	id := newCase(t, s, "/api/v1", nil)["_id"].(string)
	path := "/api/v1/case/" + id + "/observable"
	fileMeta := part{name: "_json", body: `{"dataType":"file"}`}
	file := part{name: "attachment", filename: "x.eml", body: eml}
	for name, tc := range map[string]struct {
		parts []part
		typ   string
	}{
		"no _json":              {[]part{file}, "BadRequest"},
		"bad json":              {[]part{{name: "_json", body: `{"dataType":`}, file}, "BadRequest"},
		"no attachment":         {[]part{fileMeta}, "AttributeCheckingError"},
		"no file name":          {[]part{fileMeta, {name: "attachment", body: eml}}, "AttributeCheckingError"},
		"attachment of an ip":   {[]part{{name: "_json", body: `{"dataType":"ip"}`}, file}, "AttributeCheckingError"},
		"data and attachment":   {[]part{{name: "_json", body: `{"dataType":"file","data":"x"}`}, file}, "AttributeCheckingError"},
		"two attachments":       {[]part{fileMeta, file, file}, "BadRequest"},
		"unknown tlp":           {[]part{{name: "_json", body: `{"dataType":"file","tlp":9}`}, file}, "AttributeCheckingError"},
		"no data type in _json": {[]part{{name: "_json", body: `{}`}, file}, "AttributeCheckingError"},
	} {
		ct, body := multipartBody(t, tc.parts...)
		if status, out := postUpload(t, s, path, ct, body); status != http.StatusBadRequest || errType(out) != tc.typ {
			t.Errorf("%s: %d %v, want 400 %s", name, status, out, tc.typ)
		}
	}
	if status, out := postUpload(t, s, path, "multipart/form-data", []byte("--x\r\n")); status != http.StatusBadRequest || errType(out) != "BadRequest" {
		t.Errorf("no boundary: %d %v", status, out)
	}
	ct, _ := multipartBody(t, fileMeta, file)
	if status, out := postUpload(t, s, path, ct, []byte("--not the boundary\r\n")); status != http.StatusBadRequest {
		t.Errorf("broken body: %d %v", status, out)
	}
	if status, out, _ := call(t, s, "POST", path, map[string]any{"dataType": "file", "data": "x"}); status != http.StatusBadRequest || errType(out) != "AttributeCheckingError" {
		t.Errorf("a file observable as JSON: %d %v", status, out)
	}
	if n := len(s.Observables(id)); n != 0 {
		t.Errorf("malformed uploads left %d observables", n)
	}
}

// TestObservableQueries finds a case's file observables through the v1
// query API and the v0 search, by data type and by hash.
func TestObservableQueries(t *testing.T) {
	s := New(t, Options{})
	id := newCase(t, s, "/api/v1", nil)["_id"].(string)
	other := newCase(t, s, "/api/v1", nil)["_id"].(string)
	for _, c := range []string{id, other} {
		ct, body := multipartBody(t, part{name: "_json", body: `{"dataType":"file"}`}, part{name: "attachment", filename: "x.eml", body: eml + c})
		if status, out := postUpload(t, s, "/api/v1/case/"+c+"/observable", ct, body); status != http.StatusCreated {
			t.Fatalf("upload: %d %v", status, out)
		}
	}
	if status, out, _ := call(t, s, "POST", "/api/v1/case/"+id+"/observable", map[string]any{"dataType": "ip", "data": "192.0.2.1"}); status != http.StatusCreated {
		t.Fatalf("ip: %d %v", status, out)
	}
	sha := s.Attachments(id)[0].SHA256
	q := map[string]any{"query": []map[string]any{
		{"_name": "getCase", "idOrName": id}, {"_name": "observables"},
		{"_name": "filter", "_eq": map[string]any{"_field": "dataType", "_value": "file"}},
		{"_name": "sort", "_fields": []map[string]string{{"_createdAt": "asc"}}},
		{"_name": "page", "from": 0, "to": 10},
	}}
	status, out, _ := call(t, s, "POST", "/api/v1/query", q)
	if list, _ := out.([]any); status != 200 || len(list) != 1 || list[0].(map[string]any)["attachment"].(map[string]any)["id"] != sha {
		t.Errorf("v1 query: %d %v", status, out)
	}
	q["query"].([]map[string]any)[2] = map[string]any{"_name": "filter", "_eq": map[string]any{"_field": "attachment.hashes", "_value": sha}}
	if status, out, _ := call(t, s, "POST", "/api/v1/query", q); status != 200 || len(out.([]any)) != 1 {
		t.Errorf("v1 query by hash: %d %v", status, out)
	}
	q["query"].([]map[string]any)[0] = map[string]any{"_name": "getCase", "idOrName": "~1"}
	if status, out, _ := call(t, s, "POST", "/api/v1/query", q); status != 404 || errType(out) != "NotFoundError" {
		t.Errorf("v1 query of an unknown case: %d %v", status, out)
	}
	v0 := map[string]any{"query": map[string]any{"_and": []any{
		map[string]any{"_parent": map[string]any{"_type": "case", "_query": map[string]any{"_id": id}}},
		map[string]any{"_field": "dataType", "_value": "file"},
	}}}
	status, out, hdr := call(t, s, "POST", "/api/case/artifact/_search?range=0-100", v0)
	if list, _ := out.([]any); status != 200 || len(list) != 1 || hdr.Get("X-Total") != "1" ||
		list[0].(map[string]any)["attachment"].(map[string]any)["hashes"].([]any)[0] != sha {
		t.Errorf("v0 search: %d %v", status, out)
	}
}
