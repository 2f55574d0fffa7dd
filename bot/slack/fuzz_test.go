package slack_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/slack/slacktest"
)

// fuzzEnv is an http mode drone with an incident, its channel and a thread,
// and the stand-in's real payloads as seeds.
func fuzzEnv(f *testing.F) (*env, [][]byte) {
	e := setup(f, "http")
	_, ch := e.declare(phishing())
	parent, err := e.srv.Post(ch.ID, alice, "see 45.33.32.156", "")
	if err != nil {
		f.Fatal(err)
	}
	if _, err := e.srv.Post(ch.ID, bob, "and hxxp://evil[.]example[.]net/x", parent); err != nil {
		f.Fatal(err)
	}
	var seeds [][]byte
	add := func(b []byte, err error) {
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	add(e.srv.MessageShortcut(short, alice, ch.ID, parent))
	add(e.srv.ButtonClick(bob, ch.ID, ch.Messages[0].TS, "drone.ack", "1"))
	add(e.srv.ButtonClick(bob, ch.ID, ch.Messages[0].TS, "drone.status", "1"))
	add(e.srv.ButtonClick(bob, ch.ID, parent, "drone.offer", ch.ID+"/"+parent))
	add(e.srv.MessageShortcut("drone.add_to_timeline", bob, ch.ID, parent))
	elsewhere, err := e.srv.Post(e.general, alice, "about INC-1", "")
	if err != nil {
		f.Fatal(err)
	}
	add(e.srv.MessageShortcut("drone.add_to_timeline", bob, e.general, elsewhere))
	e.command(alice, ch.ID, "")
	v := e.newView(alice, 1)
	add(e.srv.ViewSelect(v.ID, "category", "CAT1"))
	add(e.srv.ViewSubmission(v.ID, map[string][]string{"severity": {"3"}, "overview": {"x"}}))
	e.command(bob, ch.ID, "close")
	v = e.newView(bob, 1)
	add(e.srv.ViewSubmission(v.ID, map[string][]string{"resolution": {"Other"}, "summary": {"y"}}))
	e.h.Wait()
	return e, seeds
}

// post signs body and serves it with drone's handler for path; the answer
// must be 200 (with JSON, when it has a body) or 400, never a panic or 500.
func post(t *testing.T, e *env, path string, body []byte) {
	ts := time.Now().Unix()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Slack-Signature", slacktest.Sign(e.srv.SigningSecret(), ts, body))
	rec := httptest.NewRecorder()
	e.h.Routes()["POST "+path].ServeHTTP(rec, req)
	switch rec.Code {
	case http.StatusOK:
		if b := rec.Body.Bytes(); len(b) > 0 && !json.Valid(b) {
			t.Fatalf("200 with a body that is not JSON: %q", b)
		}
	case http.StatusBadRequest:
	default:
		t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
	}
}

func FuzzCommands(f *testing.F) {
	e, _ := fuzzEnv(f)
	for _, text := range []string{"", "declare", "ioc 45.33.32.156 hxxp://x[.]y/z", "lead <@U0BOB|bob>", "status",
		"close TruePositive WithImpact done", "list all", "show INC-1", "help ioc", "ack INC-99", `declare "oops`,
		"declare category=CAT1 severity=high overview=\"fuzz\" iocs=1.2.3.4"} {
		f.Add([]byte(e.srv.SlashCommand(cmd, bob, e.general, text).Encode()))
	}
	f.Add([]byte("user_id=U1&trigger_id=1&text=%ff%fe"))
	f.Fuzz(func(t *testing.T, body []byte) {
		post(t, e, "/slack/commands", body)
	})
}

func FuzzInteractions(f *testing.F) {
	e, seeds := fuzzEnv(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add([]byte(`{"type":"view_submission","user":{"id":"U1"},"view":{"callback_id":"drone.indicators","state":{"values":{"incident":{"incident":{"selected_option":{"value":"1"}}},"found.0":{"found":{"selected_options":[{"value":"i:0"}]}}}}}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		post(t, e, "/slack/interactions", []byte(url.Values{"payload": {string(payload)}}.Encode()))
	})
}

func FuzzEvents(f *testing.F) {
	e, _ := fuzzEnv(f)
	_, body, err := e.srv.MessageEvent(alice, e.general, "see 45.33.32.156", "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(body)
	f.Add([]byte(`{"type":"url_verification","challenge":"x"}`))
	ch := e.channelOf(1)
	for _, ev := range []func(string, string, string) (string, []byte, error){e.srv.Pin, e.srv.Unpin} {
		_, body, err := ev(bob, ch.ID, ch.Messages[0].TS)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	for _, ev := range []func(string, string, string, string) (string, []byte, error){e.srv.React, e.srv.Unreact} {
		_, body, err := ev(bob, ch.ID, ch.Messages[0].TS, "pushpin")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		post(t, e, "/slack/events", body)
	})
}
