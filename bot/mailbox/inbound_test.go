package mailbox_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/ttp0/drone/bot/mailbox"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/notify/email/smtptest"
)

type box struct {
	svc  *drone.Service
	m    *mailbox.Mailbox
	addr string
	dir  string
}

func startMailbox(t *testing.T, cfg mailbox.Config) *box {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	svc := dronetest.New(t).Service
	svc.Extractor = ioc.New(ioc.Options{InternalDomains: []string{"example.org"}})
	cfg.Listen = "127.0.0.1:0"
	cfg.Addresses = []string{"Phishing <phishing@example.org>"}
	mb := &box{svc: svc, dir: t.TempDir()}
	m, err := mailbox.NewMailbox(cfg, svc, mb.dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	mb.m = m
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = ln.Addr().String()
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Serve: %v", err)
		}
	})
	return mb
}

func submit(t *testing.T, addr, from string, to []string, msg string, auth sasl.Client) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			return err
		}
	}
	return c.SendMail(from, to, strings.NewReader(msg))
}

func TestPhishingReportBecomesAnIncident(t *testing.T) {
	mb := startMailbox(t, mailbox.Config{})
	ctx := context.Background()
	if err := submit(t, mb.addr, "bob@example.org", []string{"phishing@example.org"}, smtptest.PhishingReport("Fwd: Your mailbox is full"), nil); err != nil {
		t.Fatal(err)
	}
	rec, err := mb.svc.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	inc := rec.Incident
	if inc.Category != "CAT1" || inc.SubContext != "Phishing" || inc.Reporter.Identity() != "email:bob@example.org" {
		t.Fatalf("incident %+v", inc)
	}
	have := map[string]bool{}
	for _, o := range rec.Observables {
		have[string(o.Type)+" "+o.Value] = true
	}
	pdf := sha256.Sum256([]byte("%PDF-1.4\nmalicious"))
	for _, want := range []string{"email support@bad-sender.net", "email collect@harvest-creds.com",
		"email bounce@mailer.bad-sender.net", "ipv4 198.51.100.77", "ipv4 10.9.8.7", "url https://login-examp1e.com/o365/verify",
		"filename invoice.pdf", "sha256 " + hex.EncodeToString(pdf[:]), "domain bad-sender.net"} {
		if !have[want] {
			t.Errorf("missing indicator %s; have %v", want, have)
		}
	}
	originals := attachments(t, rec)
	if len(originals) != 1 {
		t.Fatalf("%d attachment entries, want the original once", len(originals))
	}
	if b, err := os.ReadFile(originals[0].Path); err != nil || !strings.Contains(string(b), "Your mailbox is full") {
		t.Fatalf("original not stored at %s: %v", originals[0].Path, err)
	}
	// The same report again (a client that missed the reply): no second
	// incident.
	if err := submit(t, mb.addr, "bob@example.org", []string{"phishing@example.org"}, smtptest.PhishingReport("Fwd: Your mailbox is full"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := mb.svc.Get(ctx, 2); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Fatalf("a repeated report made a second incident: %v", err)
	}
	// A report naming INC-1 joins it.
	if err := submit(t, mb.addr, "carol@example.org", []string{"phishing@example.org"},
		strings.Replace(smtptest.PhishingReport("[INC-1] another one"), "collect@harvest-creds.com", "drop@second-harvest.com", 1), nil); err != nil {
		t.Fatal(err)
	}
	rec, _ = mb.svc.Get(ctx, 1)
	if !strings.Contains(observableValues(rec), "drop@second-harvest.com") {
		t.Fatalf("the [INC-1] report did not join INC-1: %s", observableValues(rec))
	}
	if n := len(attachments(t, rec)); n != 2 {
		t.Errorf("%d attachment entries after the repeated and the [INC-1] report, want 2", n)
	}
}

// original is the data of an attachment entry, as integrations read it.
type original struct {
	SHA256      string `json:"sha256"`
	Size        int    `json:"size"`
	Name        string `json:"name"`
	Path        string `json:"path"`
	ContentType string `json:"content_type"`
	MessageID   string `json:"message_id"`
}

// attachments returns the attachment entries of an incident, checking
// that each names its file fully.
func attachments(t *testing.T, rec *drone.Record) []original {
	t.Helper()
	var out []original
	for _, e := range rec.Timeline {
		if e.Kind != drone.EntryAttachment {
			continue
		}
		var o original
		if err := json.Unmarshal(e.Data, &o); err != nil {
			t.Fatalf("attachment entry %d: %v", e.Seq, err)
		}
		if len(o.SHA256) != 64 || o.Size == 0 || !filepath.IsAbs(o.Path) || !strings.HasSuffix(o.Name, ".eml") ||
			o.ContentType != "message/rfc822" || o.MessageID == "" {
			t.Errorf("attachment entry %d data = %+v", e.Seq, o)
		}
		out = append(out, o)
	}
	return out
}

// TestMailboxRecordsAStoredOriginalAfterACrash delivers a report whose
// original a crashed attempt already stored without recording it: the
// entry is written now, named after the subject, with the file's hash.
func TestMailboxRecordsAStoredOriginalAfterACrash(t *testing.T) {
	mb := startMailbox(t, mailbox.Config{})
	ctx := context.Background()
	raw := []byte(smtptest.PhishingReport("Fwd: Your mailbox is full / urgent"))
	sum := sha256.Sum256(raw)
	digest := hex.EncodeToString(sum[:])
	if err := os.MkdirAll(filepath.Join(mb.dir, "INC-1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mb.dir, "INC-1", digest+".eml"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	inc, _, err := mb.m.Handle(ctx, "bob@example.org", raw)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := mb.svc.Get(ctx, inc.Number)
	if err != nil {
		t.Fatal(err)
	}
	got := attachments(t, rec)
	if len(got) != 1 || got[0].SHA256 != digest || got[0].Size != len(raw) ||
		got[0].Name != "Fwd_ Your mailbox is full _ urgent.eml" {
		t.Fatalf("attachment entries = %+v, want one for %s", got, digest)
	}
}

func observableValues(rec *drone.Record) string {
	var vs []string
	for _, o := range rec.Observables {
		vs = append(vs, o.Value)
	}
	return strings.Join(vs, " ")
}

func TestMailboxRefusesRelayStrangersAndAnonymous(t *testing.T) {
	mb := startMailbox(t, mailbox.Config{Senders: []string{"@example.org"}, Username: "reporter",
		Password: "pw", AllowInsecureAuth: true})
	var se *smtp.SMTPError
	auth := sasl.NewPlainClient("", "reporter", "pw")
	err := submit(t, mb.addr, "bob@example.org", []string{"victim@elsewhere.com"}, smtptest.PhishingReport("relay me"), auth)
	if !errors.As(err, &se) || se.Code != 550 {
		t.Fatalf("relay attempt: %v, want 550", err)
	}
	err = submit(t, mb.addr, "eve@evil.test", []string{"phishing@example.org"}, smtptest.PhishingReport("from a stranger"), auth)
	if !errors.As(err, &se) || se.Code != 550 {
		t.Fatalf("sender outside the allow-list: %v, want 550", err)
	}
	err = submit(t, mb.addr, "bob@example.org", []string{"phishing@example.org"}, smtptest.PhishingReport("anonymous"), nil)
	if !errors.As(err, &se) || se.Code != 502 {
		t.Fatalf("without AUTH: %v, want 502 authenticate first", err)
	}
	err = submit(t, mb.addr, "bob@example.org", []string{"phishing@example.org"}, smtptest.PhishingReport("wrong password"), sasl.NewLoginClient("reporter", "nope"))
	if err == nil {
		t.Fatal("a wrong password was accepted")
	}
	if err := submit(t, mb.addr, "bob@example.org", []string{"phishing@example.org"}, smtptest.PhishingReport("fine"), sasl.NewLoginClient("reporter", "pw")); err != nil {
		t.Fatalf("an allowed, authenticated report: %v", err)
	}
	if _, err := mb.svc.Get(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := mb.svc.Get(context.Background(), 2); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Fatalf("a refused message made an incident: %v", err)
	}
}

// TestInlineForwardBecomesAnIncidentWithIndicators: a lure forwarded inline,
// with no attachment, gives its indicators, not the reporter's own.
func TestInlineForwardBecomesAnIncidentWithIndicators(t *testing.T) {
	mb := startMailbox(t, mailbox.Config{})
	msg := "From: Bob <bob@example.org>\r\nTo: phishing@example.org\r\nSubject: Fwd: Your mailbox is full\r\n" +
		"Message-ID: <inline-1@example.org>\r\nContent-Type: text/plain\r\n\r\nPhishing? -- Bob, www.example.org\r\n\r\n" +
		"---------- Forwarded message ---------\r\nFrom: IT Support <support@bad-sender.net>\r\nSubject: Your mailbox is full\r\n\r\n" +
		"Verify at hxxps://login-examp1e[.]com/o365/verify today.\r\n"
	if err := submit(t, mb.addr, "bob@example.org", []string{"phishing@example.org"}, msg, nil); err != nil {
		t.Fatal(err)
	}
	rec, err := mb.svc.Get(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	values := observableValues(rec)
	for _, want := range []string{"support@bad-sender.net", "https://login-examp1e.com/o365/verify"} {
		if !strings.Contains(values, want) {
			t.Errorf("missing %s; have %s", want, values)
		}
	}
	if strings.Contains(values, "example.org") {
		t.Errorf("the reporter's own address or domain became an indicator: %s", values)
	}
	if !strings.Contains(rec.Incident.Overview, "support@bad-sender.net") {
		t.Errorf("overview %q does not name the forwarded sender", rec.Incident.Overview)
	}
}
