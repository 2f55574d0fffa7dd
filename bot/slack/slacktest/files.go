package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// File is a file uploaded the way Slack asks since files.upload was
// retired: files.getUploadURLExternal gives an upload URL and a file id,
// the bytes go to the URL, and files.completeUploadExternal shares the
// file in a channel (or keeps it private).
type File struct {
	ID, Name, Title string
	Length          int    // announced in files.getUploadURLExternal
	Content         []byte // what was uploaded, nil until then
	Completed       bool
	// Shares are the messages sharing the file, by channel id.
	Shares map[string][]string
}

// maxUpload bounds an upload, far above what drone sends.
const maxUpload = 16 << 20

// Files returns the files shared in a channel, in the order of the
// messages sharing them (a file shared twice is listed twice).
func (s *Server) Files(channel string) []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channel(channel)
	if ch == nil {
		return nil
	}
	var out []File
	for _, m := range ch.Messages {
		for _, id := range m.Files {
			if f := s.files[id]; f != nil {
				c := *f
				c.Content = append([]byte(nil), f.Content...)
				out = append(out, c)
			}
		}
	}
	return out
}

func (s *Server) filesGetUploadURLExternal(p map[string]string) (map[string]any, string) {
	length, err := strconv.Atoi(p["length"])
	if p["filename"] == "" || err != nil || length <= 0 {
		return nil, "invalid_arguments"
	}
	if length > maxUpload {
		return nil, "file_too_large"
	}
	f := &File{ID: s.nextID("F"), Name: p["filename"], Length: length, Shares: map[string][]string{}}
	if s.files == nil {
		s.files = map[string]*File{}
	}
	s.files[f.ID] = f
	return map[string]any{"upload_url": s.http.URL + "/upload/" + f.ID, "file_id": f.ID}, ""
}

// serveUpload takes the bytes of a file at its upload URL: a multipart
// form's part "file" or a raw body, of the length announced. Slack
// answers "OK - <length>" as plain text. The URL is the credential; a
// token sent along (slack-go sends the bot's) must be the bot's.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	if auth := r.Header.Get("Authorization"); auth != "" && auth != "Bearer "+s.opts.BotToken {
		http.Error(w, "invalid_auth", http.StatusUnauthorized)
		return
	}
	var content []byte
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err = r.ParseMultipartForm(maxUpload); err == nil {
			part, _, ferr := r.FormFile("file")
			if ferr != nil {
				err = ferr
			} else {
				content, err = io.ReadAll(part)
				part.Close()
			}
		}
	} else {
		content, err = io.ReadAll(io.LimitReader(r.Body, maxUpload+1))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[id]
	switch {
	case f == nil:
		http.Error(w, "no such upload", http.StatusNotFound)
	case err != nil:
		http.Error(w, "unreadable upload: "+err.Error(), http.StatusBadRequest)
	case f.Completed:
		http.Error(w, "upload already completed", http.StatusBadRequest)
	case len(content) != f.Length:
		http.Error(w, fmt.Sprintf("length %d, announced %d", len(content), f.Length), http.StatusBadRequest)
	default:
		f.Content = content
		s.notify()
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "OK - %d", len(content))
	}
}

func (s *Server) filesCompleteUploadExternal(p map[string]string) (map[string]any, string) {
	var list []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if json.Unmarshal([]byte(p["files"]), &list) != nil || len(list) == 0 {
		return nil, "invalid_arguments"
	}
	var files []*File
	for _, item := range list {
		f := s.files[item.ID]
		if f == nil || f.Content == nil {
			return nil, "file_not_found"
		}
		if item.Title != "" {
			f.Title = item.Title
		}
		files = append(files, f)
	}
	out := make([]map[string]any, len(files))
	for i, f := range files {
		out[i] = map[string]any{"id": f.ID, "title": f.Title}
	}
	channel := p["channel_id"]
	if channel == "" {
		for _, f := range files {
			f.Completed = true
		}
		return map[string]any{"files": out}, ""
	}
	ch, e := s.postable(channel)
	if e != "" {
		return nil, e
	}
	if ts := p["thread_ts"]; ts != "" && ch.find(ts) == nil {
		return nil, "thread_not_found"
	}
	ids := make([]string, len(files))
	for i, f := range files {
		ids[i] = f.ID
	}
	m := ch.add(s.nextTS(), Message{User: BotUserID, BotID: BotID, Text: p["initial_comment"], ThreadTS: p["thread_ts"], Files: ids})
	for _, f := range files {
		f.Completed = true
		f.Shares[ch.ID] = append(f.Shares[ch.ID], m.TS)
	}
	return map[string]any{"files": out}, ""
}

// filesInfo describes a file with the channels it is shared in: "channels"
// for public ones, "groups" for private ones, and "shares" with the
// messages, as Slack does.
func (s *Server) filesInfo(p map[string]string) (map[string]any, string) {
	f := s.files[p["file"]]
	if f == nil || !f.Completed {
		return nil, "file_not_found"
	}
	channels, groups := []string{}, []string{}
	shares := map[string]map[string][]map[string]any{"public": {}, "private": {}}
	for id, tss := range f.Shares {
		kind := "public"
		if ch := s.channels[id]; ch != nil && ch.Private {
			kind = "private"
			groups = append(groups, id)
		} else {
			channels = append(channels, id)
		}
		for _, ts := range tss {
			shares[kind][id] = append(shares[kind][id], map[string]any{"ts": ts})
		}
	}
	return map[string]any{"file": map[string]any{"id": f.ID, "name": f.Name, "title": f.Title, "size": len(f.Content),
		"channels": channels, "groups": groups, "shares": shares}, "comments": []any{}, "paging": map[string]any{}}, ""
}
