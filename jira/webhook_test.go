package jira_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/jira"
)

const secret = "0123456789abcdef-webhook"

// issueUpdated is a Jira Cloud jira:issue_updated call, cut to what
// matters and a little more.
func issueUpdated(key string, ts int64) string {
	return fmt.Sprintf(`{"timestamp":%d,"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_generic",
"user":{"accountId":"557058:alice","displayName":"Alice"},
"issue":{"id":"10001","key":%q,"fields":{"status":{"name":"Done","statusCategory":{"key":"done"}},"labels":["drone"]}},
"changelog":{"items":[{"field":"status","fromString":"To Do","toString":"Done"}]}}`, ts, key)
}

func sign(body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func post(t *testing.T, url, body string, header map[string]string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestWebhookBringsTheClosingBack(t *testing.T) {
	t.Parallel()
	b := setup(t, jira.Cloud)
	hook := httptest.NewServer(b.sync.Webhook(jira.Hook(secret)))
	t.Cleanup(hook.Close)
	ac := b.addAction(t, "Rotate the VPN pre-shared key")
	b.work(t)
	key := b.onlyIssue(t).Key
	b.clock.Advance(time.Minute)
	if err := b.srv.SetStatus(key, "Done"); err != nil {
		t.Fatal(err)
	}
	body := issueUpdated(key, 1733225000000)
	for name, tc := range map[string]struct {
		body   string
		url    string
		header map[string]string
		want   int
	}{
		"unsigned":          {body, hook.URL, nil, http.StatusUnauthorized},
		"wrong signature":   {body, hook.URL, map[string]string{"X-Hub-Signature": sign(body + " ")}, http.StatusUnauthorized},
		"wrong secret":      {body, hook.URL + "?secret=nope", nil, http.StatusUnauthorized},
		"about no issue":    {`{"webhookEvent":"project_created"}`, hook.URL + "?secret=" + secret, nil, http.StatusNoContent},
		"signed":            {body, hook.URL, map[string]string{"X-Hub-Signature": sign(body)}, http.StatusAccepted},
		"signed again":      {body, hook.URL, map[string]string{"X-Hub-Signature": sign(body)}, http.StatusAccepted},
		"secret in the URL": {body, hook.URL + "?secret=" + secret, nil, http.StatusAccepted},
	} {
		if got := post(t, tc.url, tc.body, tc.header); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
	var fetches int
	for _, j := range b.h.Jobs() {
		if j.Kind == "jira.fetch" {
			fetches++
		}
	}
	if fetches != 1 {
		t.Errorf("%d jira.fetch jobs for one event sent three times, want 1", fetches)
	}
	before := len(b.entries(t, ac, drone.EntryActionUpdated))
	b.work(t)
	b.h.NoDeadJobs()
	if got := b.action(t, ac.Number); got.Status != drone.ActionDone {
		t.Fatalf("action is %s after the webhook, want done", got.Status)
	}
	if n := len(b.entries(t, ac, drone.EntryActionUpdated)) - before; n != 1 {
		t.Errorf("%d entries after the webhook, want 1", n)
	}
}
