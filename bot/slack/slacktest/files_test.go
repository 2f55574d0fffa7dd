package slacktest

import (
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// TestFileUpload walks Slack's upload as slack-go does it: an upload URL
// for a file of a length, the bytes, then the share in a channel; the
// stand-in keeps the bytes, checks the token, the length and the order,
// and files.info says where the file is shared.
func TestFileUpload(t *testing.T) {
	ctx := context.Background()
	s := New(t, Options{})
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	ch := s.AddChannel("inc-1", BotUserID)
	wrong := slack.New("xoxb-wrong", slack.OptionAPIURL(s.APIURL()))
	if _, err := wrong.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "a.md", FileSize: 3}); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("a wrong token: %v", err)
	}
	up, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "a.md", FileSize: 3})
	if err != nil || up.FileID == "" || !strings.HasPrefix(up.UploadURL, s.APIURL()[:len(s.APIURL())-len("/api/")]) {
		t.Fatalf("files.getUploadURLExternal: %+v, %v", up, err)
	}
	complete := slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: up.FileID, Title: "A"}}, Channel: ch, InitialComment: "here"}
	if _, err := api.CompleteUploadExternalContext(ctx, complete); err == nil || err.Error() != "file_not_found" {
		t.Errorf("completing before the upload: %v", err)
	}
	if err := api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: up.UploadURL, Filename: "a.md", Content: "four"}); err == nil {
		t.Error("an upload of another length than announced was taken")
	}
	if err := wrong.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: up.UploadURL, Filename: "a.md", Content: "abc"}); err == nil {
		t.Error("an upload with a wrong token was taken")
	}
	if err := api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: up.UploadURL, Filename: "a.md", Content: "abc"}); err != nil {
		t.Fatalf("upload: %v", err)
	}
	if _, _, _, err := api.GetFileInfoContext(ctx, up.FileID, 0, 0); err == nil || err.Error() != "file_not_found" {
		t.Errorf("files.info of an upload not completed: %v", err)
	}
	if _, err := api.CompleteUploadExternalContext(ctx, complete); err != nil {
		t.Fatalf("files.completeUploadExternal: %v", err)
	}
	files := s.Files(ch)
	if len(files) != 1 || string(files[0].Content) != "abc" || files[0].Title != "A" || files[0].Name != "a.md" {
		t.Errorf("the channel shares %+v", files)
	}
	got, _ := s.Channel(ch)
	if last := got.Messages[len(got.Messages)-1]; last.Text != "here" || len(last.Files) != 1 {
		t.Errorf("the sharing message: %+v", last)
	}
	f, _, _, err := api.GetFileInfoContext(ctx, up.FileID, 0, 0)
	if err != nil || len(f.Channels) != 1 || f.Channels[0] != ch || f.Size != 3 {
		t.Errorf("files.info: %+v, %v", f, err)
	}
}
