package hivetest

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"time"
)

// dataTypeFile is the data type of observables that are files.
const dataTypeFile = "file"

// maxUpload bounds a multipart upload.
const maxUpload = 64 << 20

// Attachment is the file of a "file" observable.
type Attachment struct {
	// ID is the SHA-256 of the content, as TheHive's datastore keys files.
	ID string
	// Name and ContentType are those of the uploaded part.
	Name, ContentType string
	Size              int
	// SHA256, SHA1 and MD5 are computed by the server, in hex.
	SHA256, SHA1, MD5 string
	Content           []byte
}

func newAttachment(name, contentType string, content []byte) *Attachment {
	s256, s1, m5 := sha256.Sum256(content), sha1.Sum(content), md5.Sum(content)
	a := &Attachment{Name: name, ContentType: contentType, Size: len(content), Content: content,
		SHA256: hex.EncodeToString(s256[:]), SHA1: hex.EncodeToString(s1[:]), MD5: hex.EncodeToString(m5[:])}
	a.ID = a.SHA256
	return a
}

// Attachments returns copies of the files of a case's file observables,
// oldest first.
func (s *Server) Attachments(caseID string) []Attachment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Attachment
	for _, o := range s.st.observables[caseID] {
		if o.Attachment != nil {
			out = append(out, *copyObservable(o).Attachment)
		}
	}
	return out
}

func isMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// upload is a multipart observable: the "_json" part and the file.
type upload struct {
	in   observableIn
	file *Attachment
}

// readUpload reads the parts TheHive reads: "_json", the observable, and
// "attachment", the file with its name. Other parts are ignored.
func readUpload(r *http.Request) (*upload, error) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, badRequest("Invalid multipart body: no boundary")
	}
	mr := multipart.NewReader(io.LimitReader(r.Body, maxUpload), params["boundary"])
	up := &upload{}
	seenJSON := false
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, badRequest("Invalid multipart body: %v", err)
		}
		switch p.FormName() {
		case "_json":
			if seenJSON {
				return nil, badRequest("Invalid multipart body: two _json parts")
			}
			seenJSON = true
			if err := readPartJSON(p, &up.in); err != nil {
				return nil, err
			}
		case "attachment":
			if up.file != nil {
				return nil, badRequest("Invalid multipart body: one attachment per observable")
			}
			if up.file, err = readFilePart(p); err != nil {
				return nil, err
			}
		}
	}
	if !seenJSON {
		return nil, badRequest("Invalid multipart body: missing part _json")
	}
	return up, nil
}

func readPartJSON(p *multipart.Part, v any) error {
	b, err := io.ReadAll(io.LimitReader(p, maxBody))
	if err != nil {
		return badRequest("Invalid multipart body: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("Invalid json in part _json: %v", err)
	}
	return nil
}

func readFilePart(p *multipart.Part) (*Attachment, error) {
	name := p.FileName()
	if name == "" {
		return nil, attributeError("Invalid attribute attachment: the part has no file name")
	}
	content, err := io.ReadAll(p)
	if err != nil {
		return nil, badRequest("Invalid multipart body: %v", err)
	}
	ct := p.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	return newAttachment(name, ct, content), nil
}

// createFileObservable adds one file observable. A file whose content the
// case already holds fails as TheHive's duplicates do: 207, CreateError.
func (s *Server) createFileObservable(api string, w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	up, err := readUpload(r)
	if err != nil {
		fail(w, err)
		return
	}
	s.withCase(w, id, func(c *Case) {
		if err := s.checkObservable(api, up.in, up.file != nil); err != nil {
			fail(w, err)
			return
		}
		if s.st.hasAttachment(c.ID, up.file.SHA256) {
			object := map[string]any{"dataType": dataTypeFile, "attachment": map[string]any{"name": up.file.Name,
				"hashes": []string{up.file.SHA256, up.file.SHA1, up.file.MD5}}}
			writeJSON(w, http.StatusMultiStatus, map[string]any{"success": []map[string]any{},
				"failure": []observableFailure{{"CreateError", "Observable already exists", object}}})
			return
		}
		o := s.st.addFile(c.ID, up.in, up.file, s.opts.Now())
		writeJSON(w, http.StatusCreated, []map[string]any{s.renderObservable(api, o)})
	})
}

func (st *state) hasAttachment(caseID, sha string) bool {
	for _, o := range st.observables[caseID] {
		if o.Attachment != nil && o.Attachment.SHA256 == sha {
			return true
		}
	}
	return false
}

func (st *state) addFile(caseID string, in observableIn, file *Attachment, now time.Time) *Observable {
	o := st.addObservable(caseID, in, "", now)
	o.Attachment = file
	return o
}
