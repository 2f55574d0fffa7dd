package discordtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"regexp"
	"strconv"
)

// maxAttachments is Discord's limit of files on one message.
const maxAttachments = 10

// filesField is the name of a file part: files[0], files[1], ...
var filesField = regexp.MustCompile(`^files\[(\d+)\]$`)

// readMultipartMessage reads a message posted as multipart/form-data, as
// Discord takes files: the message as JSON in the part "payload_json" and
// each file in a part "files[n]" with its file name.
func readMultipartMessage(contentType string, body []byte) (Message, string) {
	var m Message
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil || params["boundary"] == "" {
		return m, "multipart body without a boundary"
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var payload []byte
	var files []Attachment
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, "unreadable multipart body: " + err.Error()
		}
		content, err := io.ReadAll(part)
		if err != nil {
			return m, "unreadable multipart body: " + err.Error()
		}
		name := part.FormName()
		switch {
		case name == "payload_json":
			payload = content
		case filesField.MatchString(name):
			if part.FileName() == "" {
				return m, fmt.Sprintf("part %s has no file name", name)
			}
			n, _ := strconv.Atoi(filesField.FindStringSubmatch(name)[1])
			files = append(files, Attachment{ID: strconv.Itoa(n), Filename: part.FileName(),
				ContentType: part.Header.Get("Content-Type"), Size: len(content), Content: content})
		default:
			return m, fmt.Sprintf("unknown multipart field %q", name)
		}
	}
	if len(files) > maxAttachments {
		return m, fmt.Sprintf("%d files; at most %d", len(files), maxAttachments)
	}
	if payload == nil {
		payload = []byte(`{}`)
	}
	m, problem := readMessage(payload, len(files) == 0)
	if problem != "" {
		return m, problem
	}
	for i := range files {
		files[i].ID = NewID()
	}
	m.Attachments = files
	return m, ""
}
