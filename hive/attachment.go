package hive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"unicode"
)

// DataTypeFile is TheHive's data type of an observable that is a file.
const DataTypeFile = "file"

// FileObservableInput is a file to attach to a case as a "file" observable.
type FileObservableInput struct {
	// Name is the file name TheHive shows. Required.
	Name string
	// ContentType defaults to application/octet-stream.
	ContentType string
	// Content is the file. Required, not empty.
	Content []byte
	// Message describes the file.
	Message string
	// TLP and PAP are names; empty leaves TheHive's default. TheHive 4 has
	// no PAP on observables: the v0 API does not send it.
	TLP, PAP string
	// IOC marks the file as an indicator of compromise.
	IOC bool
	// Sighted marks it as seen in the organisation.
	Sighted bool
	// Tags of the observable.
	Tags []string
}

// Attachment is the file of a "file" observable as TheHive describes it.
type Attachment struct {
	ID          string
	Name        string
	ContentType string
	Size        int64
	// Hashes are TheHive's digests of the content (SHA-256, SHA-1, MD5).
	Hashes []string
}

// SHA256 returns the attachment's SHA-256 in lower-case hex, or "".
func (a *Attachment) SHA256() string {
	if a == nil {
		return ""
	}
	for _, h := range a.Hashes {
		if len(h) == 64 {
			return strings.ToLower(h)
		}
	}
	return ""
}

type wireAttachment struct {
	ID          string   `json:"id"`
	InternalID  string   `json:"_id"`
	Name        string   `json:"name"`
	ContentType string   `json:"contentType"`
	Size        int64    `json:"size"`
	Hashes      []string `json:"hashes"`
}

func (w *wireAttachment) attachment() *Attachment {
	if w == nil {
		return nil
	}
	return &Attachment{ID: first(w.ID, w.InternalID), Name: w.Name, ContentType: w.ContentType, Size: w.Size, Hashes: w.Hashes}
}

// CreateFileObservable attaches a file to a case as one "file" observable:
// a multipart upload whose part "_json" holds the observable and part
// "attachment" the file. Like CreateObservables it gives a result: the
// observable created, or a failure, which is a duplicate (see
// ObservableResult.Duplicates) when the case already holds a file with
// the same content. An error means TheHive took nothing.
func (c *Client) CreateFileObservable(ctx context.Context, caseID string, in FileObservableInput) (*ObservableResult, error) {
	path, err := with(c.routes.observables, "case", caseID)
	if err != nil {
		return nil, fmt.Errorf("attaching a file: %w", err)
	}
	body, err := c.fileBody(in)
	if err != nil {
		return nil, fmt.Errorf("attaching %q to case %s: %w", in.Name, caseID, err)
	}
	resp, err := c.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return nil, fmt.Errorf("attaching %q to case %s: %w", in.Name, caseID, err)
	}
	res, err := decodeFileObservable(c.api, resp.body)
	if err != nil {
		return nil, fmt.Errorf("attaching %q to case %s: %w", in.Name, caseID, err)
	}
	return res, nil
}

// fileBody encodes a file observable as TheHive's multipart form.
func (c *Client) fileBody(in FileObservableInput) (*rawBody, error) {
	name := fileName(in.Name)
	if name == "" || len(in.Content) == 0 {
		return nil, fmt.Errorf("%w: a file observable needs a file name and content", ErrInvalidInput)
	}
	meta, err := c.fileMeta(in)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("_json", string(meta)); err != nil {
		return nil, fmt.Errorf("encoding the upload: %w", err)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="attachment"; filename="%s"`, quoteEscaper.Replace(name)))
	h.Set("Content-Type", first(in.ContentType, "application/octet-stream"))
	part, err := mw.CreatePart(h)
	if err != nil {
		return nil, fmt.Errorf("encoding the upload: %w", err)
	}
	if _, err := part.Write(in.Content); err != nil {
		return nil, fmt.Errorf("encoding the upload: %w", err)
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("encoding the upload: %w", err)
	}
	return &rawBody{contentType: mw.FormDataContentType(), data: buf.Bytes()}, nil
}

// fileMeta is the "_json" part: the observable without its data.
func (c *Client) fileMeta(in FileObservableInput) ([]byte, error) {
	tlp, err := TLPNumber(c.api, in.TLP)
	if err != nil {
		return nil, err
	}
	m := map[string]any{"dataType": DataTypeFile, "ioc": in.IOC, "sighted": in.Sighted}
	if in.Message != "" {
		m["message"] = in.Message
	}
	if tlp >= 0 {
		m["tlp"] = tlp
	}
	if in.PAP != "" && c.api != APIv0 {
		pap, err := PAPNumber(in.PAP)
		if err != nil {
			return nil, err
		}
		m["pap"] = pap
	}
	if len(in.Tags) > 0 {
		m["tags"] = uniq(in.Tags)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding the upload: %w", err)
	}
	return b, nil
}

// quoteEscaper escapes a quoted header parameter as mime/multipart does.
var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// fileName drops the directories and the control characters of a file
// name, which would otherwise break the part's header.
func fileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name))
}

// decodeFileObservable reads the answer to an upload: TheHive 5's array or
// {"success", "failure"}, or the single observable older versions return.
func decodeFileObservable(api string, body []byte) (*ObservableResult, error) {
	res, err := decodeObservables(api, body)
	if err != nil || len(res.Created) > 0 || len(res.Failures) > 0 {
		return res, err
	}
	var one wireObservable
	if err := json.Unmarshal(body, &one); err != nil || first(one.ID, one.LegacyID) == "" {
		return nil, fmt.Errorf("decoding observables: the answer holds no observable")
	}
	return &ObservableResult{Created: []Observable{observableFromWire(api, one)}}, nil
}

// FindFileObservable returns the file observable of a case whose content
// has the SHA-256 sha, or nil when the case holds none.
func (c *Client) FindFileObservable(ctx context.Context, caseID, sha string) (*Observable, error) {
	files, err := c.FindFileObservables(ctx, caseID)
	if err != nil {
		return nil, err
	}
	sha = strings.ToLower(sha)
	for i := range files {
		if files[i].Attachment.SHA256() == sha {
			return &files[i], nil
		}
	}
	return nil, nil
}

// FindFileObservables returns the file observables of a case, oldest first
// (v1: the query API; v0: /api/case/artifact/_search). It fails rather
// than return a partial list when the case holds more than 1000.
func (c *Client) FindFileObservables(ctx context.Context, caseID string) ([]Observable, error) {
	if caseID == "" {
		return nil, fmt.Errorf("finding file observables: %w: empty case id", ErrInvalidInput)
	}
	var all []Observable
	for from := 0; ; from += searchPage {
		path, body := c.fileSearchRequest(caseID, from, from+searchPage)
		resp, err := c.do(ctx, http.MethodPost, path, body)
		if err != nil {
			return nil, fmt.Errorf("finding the file observables of case %s: %w", caseID, err)
		}
		var page []wireObservable
		if err := decode(http.MethodPost, path, resp.body, &page); err != nil {
			return nil, fmt.Errorf("finding the file observables of case %s: %w", caseID, err)
		}
		for _, w := range page {
			all = append(all, observableFromWire(c.api, w))
		}
		if len(page) < searchPage {
			return all, nil
		}
		if len(all) >= searchMaxCases {
			return nil, fmt.Errorf("finding the file observables of case %s: more than %d", caseID, searchMaxCases)
		}
	}
}

// fileSearchRequest returns the path and body of one page of a case's file
// observables.
func (c *Client) fileSearchRequest(caseID string, from, to int) (string, any) {
	isFile := map[string]any{"_field": "dataType", "_value": DataTypeFile}
	if c.api == APIv0 {
		parent := map[string]any{"_parent": map[string]any{"_type": "case", "_query": map[string]any{"_id": caseID}}}
		return fmt.Sprintf("%s?range=%d-%d&sort=%%2BcreatedAt", c.routes.observableSearch, from, to),
			map[string]any{"query": map[string]any{"_and": []any{parent, isFile}}}
	}
	return c.routes.observableSearch, map[string]any{"query": []map[string]any{
		{"_name": "getCase", "idOrName": caseID},
		{"_name": "observables"},
		{"_name": "filter", "_eq": isFile},
		{"_name": "sort", "_fields": []map[string]string{{"_createdAt": "asc"}}},
		{"_name": "page", "from": from, "to": to},
	}}
}
