package slack_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	droneslack "github.com/ttp0/drone/bot/slack"
	"github.com/ttp0/drone/bot/slack/slacktest"
	"github.com/ttp0/drone/drone"
)

// TestSignature refuses requests whose signature is missing, wrong or
// stale with 401, and processes nothing of them.
func TestSignature(t *testing.T) {
	e := setup(t, "http")
	declare := []byte(e.srv.SlashCommand(cmd, alice, e.general, "declare category=CAT1 severity=high overview=refused").Encode())
	now := time.Now().Unix()
	stale := now - 6*60
	cases := map[string]http.Header{
		"missing":   {"X-Slack-Signature": {""}, "X-Slack-Request-Timestamp": {""}},
		"no stamp":  {"X-Slack-Request-Timestamp": {""}},
		"wrong":     {"X-Slack-Signature": {slacktest.Sign("another secret", now, declare)}},
		"not hex":   {"X-Slack-Signature": {"v0=zz"}},
		"no scheme": {"X-Slack-Signature": {strings.TrimPrefix(slacktest.Sign(e.srv.SigningSecret(), now, declare), "v0=")}},
		"stale": {"X-Slack-Request-Timestamp": {strconv.FormatInt(stale, 10)},
			"X-Slack-Signature": {slacktest.Sign(e.srv.SigningSecret(), stale, declare)}},
		"future": {"X-Slack-Request-Timestamp": {strconv.FormatInt(now+6*60, 10)},
			"X-Slack-Signature": {slacktest.Sign(e.srv.SigningSecret(), now+6*60, declare)}},
		"other body": {"X-Slack-Signature": {slacktest.Sign(e.srv.SigningSecret(), now, []byte("text=x"))},
			"X-Slack-Request-Timestamp": {strconv.FormatInt(now, 10)}},
	}
	h := e.tr.(*slacktest.HTTP)
	for name, hdr := range cases {
		for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events"} {
			r, err := h.Post(e.ctx, path, "application/x-www-form-urlencoded", declare, hdr)
			if err != nil || r.Status != http.StatusUnauthorized {
				t.Errorf("%s signature on %s: status %d, %v; want 401", name, path, r.Status, err)
			}
		}
	}
	if incs, _ := e.svc.Incidents(e.ctx, drone.IncidentFilter{}); len(incs) != 0 {
		t.Errorf("a refused request declared %d incident(s)", len(incs))
	}
	if r, err := h.Post(e.ctx, "/slack/commands", "application/x-www-form-urlencoded", declare, nil); err != nil || r.Status != 200 {
		t.Fatalf("the same request signed: %d %v", r.Status, err)
	}
	if incs, _ := e.svc.Incidents(e.ctx, drone.IncidentFilter{}); len(incs) != 1 {
		t.Errorf("the signed request declared %d incident(s); want 1", len(incs))
	}
}

// TestVerifySignature checks the window edges with an injected clock.
func TestVerifySignature(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	body := []byte("token=x&text=hello")
	hdr := http.Header{"X-Slack-Request-Timestamp": {strconv.FormatInt(at.Unix(), 10)},
		"X-Slack-Signature": {slacktest.Sign("s3cret", at.Unix(), body)}}
	for _, c := range []struct {
		now  time.Time
		want error
	}{
		{at, nil},
		{at.Add(5 * time.Minute), nil},
		{at.Add(-5 * time.Minute), nil},
		{at.Add(5*time.Minute + time.Second), droneslack.ErrStaleSignature},
		{at.Add(-5*time.Minute - time.Second), droneslack.ErrStaleSignature},
	} {
		if err := droneslack.VerifySignature(hdr, body, "s3cret", c.now); err != c.want {
			t.Errorf("at %v: %v; want %v", c.now.Sub(at), err, c.want)
		}
	}
	if err := droneslack.VerifySignature(hdr, body, "", at); err != droneslack.ErrNoSignature {
		t.Errorf("without a secret: %v", err)
	}
}

// TestMalformed answers malformed payloads with 400, oversized bodies with
// 413, and Slack's URL check with its challenge.
func TestMalformed(t *testing.T) {
	e := setup(t, "http")
	h := e.tr.(*slacktest.HTTP)
	form := "application/x-www-form-urlencoded"
	for _, c := range []struct {
		path, ctype, body string
		want              int
	}{
		{"/slack/commands", form, "text=hello%zz", 400},
		{"/slack/commands", form, "text=no+user", 400},
		{"/slack/interactions", form, "", 400},
		{"/slack/interactions", form, "payload=%7Bnot+json", 400},
		{"/slack/interactions", form, "payload=" + url.QueryEscape(`{"type":"block_actions"}`), 400},
		{"/slack/interactions", form, "payload=" + url.QueryEscape(`{"type":"view_submission","user":{"id":"U1"},"view":{"callback_id":"drone.status","private_metadata":"{bad"}}`), 400},
		{"/slack/interactions", form, "payload=" + url.QueryEscape(`{"type":"view_submission","user":{"id":"U1"},"view":{"callback_id":"drone.status","private_metadata":"{\"ref\":99}"}}`), 400},
		{"/slack/interactions", form, "payload=" + url.QueryEscape(`{"type":"view_closed","user":{"id":"U1"}}`), 200},
		{"/slack/events", "application/json", `{"type":"event_callback"`, 400},
		{"/slack/events", "application/json", `{"type":"event_callback","event":{}}`, 400},
		{"/slack/events", "application/json", `{"type":"app_rate_limited"}`, 200},
	} {
		r, err := h.Post(e.ctx, c.path, c.ctype, []byte(c.body), nil)
		if err != nil || r.Status != c.want {
			t.Errorf("%s %q: status %d, %v; want %d", c.path, c.body, r.Status, err, c.want)
		}
	}
	r, err := h.Post(e.ctx, "/slack/events", "application/json", []byte(`{"type":"url_verification","challenge":"c4ll3nge"}`), nil)
	if err != nil || r.Status != 200 || !strings.Contains(string(r.Body), `"challenge":"c4ll3nge"`) {
		t.Errorf("url_verification: %d %s %v", r.Status, r.Body, err)
	}
	big := bytes.Repeat([]byte("a"), droneslack.MaxBody+1)
	for _, chunked := range []bool{false, true} {
		req, _ := http.NewRequestWithContext(e.ctx, http.MethodPost, e.appURL+"/slack/commands", bytes.NewReader(big))
		if chunked {
			req.ContentLength = -1 // no Content-Length: the limit must hold while reading
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("a body over 1 MiB (chunked=%v): status %d; want 413", chunked, resp.StatusCode)
		}
	}
}

// TestAcknowledgedWhileSlackIsDown answers commands and submissions
// whatever Slack's Web API does: the work on Slack waits in the queue.
func TestAcknowledgedWhileSlackIsDown(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		e.srv.RateLimit("conversations.create", 2, time.Second)
		_, text := e.commandText(alice, e.general, "declare category=CAT1 severity=high overview=\"rate limited\"")
		if !strings.Contains(text, "Declared INC-1") {
			t.Fatalf("declare answered %q", text)
		}
		ch := e.channelOf(1)
		var limited, created []slacktest.Call
		for _, c := range e.srv.Calls("conversations.create") {
			if c.Status == http.StatusTooManyRequests {
				limited = append(limited, c)
			} else {
				created = append(created, c)
			}
		}
		if len(limited) != 2 || len(created) != 1 || ch.Name != "inc-1" {
			t.Fatalf("conversations.create: %d limited, %d created, channel %q", len(limited), len(created), ch.Name)
		}
		if wait := created[0].At.Sub(limited[1].At); wait < time.Second {
			t.Errorf("retried %v after a 429 with Retry-After: 1", wait)
		}
	})
}
