package email_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttp0/drone/notify/email"
	"github.com/ttp0/drone/notify/email/smtptest"
)

func startRelay(t *testing.T, opts smtptest.Options) *smtptest.Server {
	t.Helper()
	srv, err := smtptest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func senderFor(t *testing.T, srv *smtptest.Server, cfg email.Config) *email.Sender {
	t.Helper()
	cfg.Host, cfg.Port = srv.Host(), srv.Port()
	cfg.From = "drone <drone@example.org>"
	cfg.Timeout = 10 * time.Second
	s, err := email.NewSender(cfg, srv.ClientTLS())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func message(t *testing.T, id string, refs ...string) []byte {
	t.Helper()
	m := &email.Message{From: "drone <drone@example.org>", To: []string{"soc@example.org"},
		Subject: "Phishing wave | SIN #42", Text: []byte("plain"), HTML: []byte("<p>html</p>"),
		MessageID: id, References: refs, Headers: map[string]string{"X-Drone-Incident": "INC-42"}}
	if len(refs) > 0 {
		m.InReplyTo = refs[len(refs)-1]
	}
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSendStartTLSAuth(t *testing.T) {
	for _, mech := range []string{"plain", "login"} {
		t.Run(mech, func(t *testing.T) {
			srv := startRelay(t, smtptest.Options{TLS: true, Username: "drone", Password: "s3cret"})
			s := senderFor(t, srv, email.Config{Username: "drone", Password: "s3cret", Auth: mech})
			res := s.Send(context.Background(), "drone@example.org", []string{"a@example.org"}, message(t, "<1@example.org>"))
			if res[0].Err != nil {
				t.Fatalf("send: %v", res[0].Err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != "drone" {
				t.Fatalf("got %d messages, first %+v; want one over TLS as drone", len(msgs), msgs[0])
			}
		})
	}
}

func TestSendWrongPasswordIsPermanentAndSecretFree(t *testing.T) {
	srv := startRelay(t, smtptest.Options{TLS: true, Username: "drone", Password: "right"})
	s := senderFor(t, srv, email.Config{Username: "drone", Password: "wrong-secret"})
	res := s.Send(context.Background(), "drone@example.org", []string{"a@example.org"}, message(t, "<1@example.org>"))
	err := res[0].Err
	if err == nil || !email.Permanent(err) {
		t.Fatalf("err = %v, want a permanent AUTH failure", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("the error shows the password: %v", err)
	}
}

func TestSendRequiresStartTLS(t *testing.T) {
	srv := startRelay(t, smtptest.Options{})
	s := senderFor(t, srv, email.Config{})
	res := s.Send(context.Background(), "drone@example.org", []string{"a@example.org"}, message(t, "<1@example.org>"))
	if !errors.Is(res[0].Err, email.ErrNoStartTLS) || !email.Permanent(res[0].Err) {
		t.Fatalf("err = %v, want ErrNoStartTLS", res[0].Err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d message(s) went in clear", n)
	}
	clear := senderFor(t, srv, email.Config{TLS: email.TLSNone})
	if res := clear.Send(context.Background(), "drone@example.org", []string{"a@example.org"}, message(t, "<2@example.org>")); res[0].Err != nil {
		t.Fatalf("with tls: none: %v", res[0].Err)
	}
}

func TestSendImplicitTLS(t *testing.T) {
	srv := startRelay(t, smtptest.Options{Implicit: true})
	s := senderFor(t, srv, email.Config{TLS: email.TLSImplicit})
	if res := s.Send(context.Background(), "drone@example.org", []string{"a@example.org"}, message(t, "<1@example.org>")); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if m := srv.Messages(); len(m) != 1 || !m[0].TLS {
		t.Fatalf("messages %+v, want one over TLS", m)
	}
}

func TestSendResultPerRecipient(t *testing.T) {
	srv := startRelay(t, smtptest.Options{TLS: true, Rcpt: func(to string) error {
		if to == "gone@example.org" {
			return smtptest.Permanent("no such user")
		}
		return nil
	}})
	s := senderFor(t, srv, email.Config{})
	to := []string{"a@example.org", "gone@example.org", "b@example.org"}
	res := s.Send(context.Background(), "drone@example.org", to, message(t, "<1@example.org>"))
	for _, r := range res {
		bad := r.Recipient == "gone@example.org"
		if bad != (r.Err != nil) || (bad && !email.Permanent(r.Err)) {
			t.Errorf("%s: err %v", r.Recipient, r.Err)
		}
	}
	if srv.Count("a@example.org") != 1 || srv.Count("b@example.org") != 1 || srv.Count("gone@example.org") != 0 {
		t.Fatalf("counts a=%d b=%d gone=%d", srv.Count("a@example.org"), srv.Count("b@example.org"), srv.Count("gone@example.org"))
	}
}

func TestSendTemporaryThenSuccessReusesSession(t *testing.T) {
	var calls atomic.Int32
	srv := startRelay(t, smtptest.Options{TLS: true, Data: func(*smtptest.Message) error {
		if calls.Add(1) == 1 {
			return smtptest.Temporary("try again later")
		}
		return nil
	}})
	s := senderFor(t, srv, email.Config{})
	msg := message(t, "<1@example.org>")
	first := s.Send(context.Background(), "drone@example.org", []string{"a@example.org"}, msg)
	if first[0].Err == nil || email.Permanent(first[0].Err) {
		t.Fatalf("first attempt: %v, want a temporary refusal", first[0].Err)
	}
	if second := s.Send(context.Background(), "drone@example.org", []string{"a@example.org"}, msg); second[0].Err != nil {
		t.Fatalf("second attempt: %v", second[0].Err)
	}
	if n := srv.Count("a@example.org"); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
}

func TestThreadingHeaders(t *testing.T) {
	srv := startRelay(t, smtptest.Options{TLS: true})
	s := senderFor(t, srv, email.Config{})
	root := email.MessageID("example.org", "incident-uuid", "1")
	if again := email.MessageID("example.org", "incident-uuid", "1"); again != root {
		t.Fatalf("MessageID is not stable: %s then %s", root, again)
	}
	next := email.MessageID("example.org", "incident-uuid", "2")
	for _, b := range [][]byte{message(t, root), message(t, next, root)} {
		if res := s.Send(context.Background(), "drone@example.org", []string{"a@example.org"}, b); res[0].Err != nil {
			t.Fatal(res[0].Err)
		}
	}
	msgs := srv.Messages()
	h := msgs[1].Header
	if msgs[0].Header.Get("Message-Id") != root || h.Get("Message-Id") != next ||
		h.Get("In-Reply-To") != root || h.Get("References") != root {
		t.Fatalf("headers: first %v, second %v", msgs[0].Header, h)
	}
	if h.Get("Auto-Submitted") != "auto-generated" || h.Get("X-Drone-Incident") != "INC-42" {
		t.Fatalf("second message headers %v", h)
	}
	if !strings.Contains(h.Get("Content-Type"), "multipart/alternative") {
		t.Fatalf("Content-Type %q, want multipart/alternative", h.Get("Content-Type"))
	}
}

func TestSendHonoursContext(t *testing.T) {
	release, entered := make(chan struct{}), make(chan struct{})
	srv := startRelay(t, smtptest.Options{TLS: true, Data: func(*smtptest.Message) error {
		close(entered)
		<-release
		return nil
	}})
	defer close(release)
	s := senderFor(t, srv, email.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan []email.Result)
	go func() {
		done <- s.Send(ctx, "drone@example.org", []string{"a@example.org"}, message(t, "<1@example.org>"))
	}()
	<-entered // the relay holds the end of DATA: only closing the connection ends the wait
	cancel()
	res := <-done
	if !errors.Is(res[0].Err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", res[0].Err)
	}
}
