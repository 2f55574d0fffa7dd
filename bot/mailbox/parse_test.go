package mailbox_test

import (
	"strings"
	"testing"

	"github.com/ttp0/drone/bot/mailbox"
	"github.com/ttp0/drone/drone/ioc"
)

// report builds a reported message whose single part has the given type,
// transfer encoding and body.
func report(ctype, cte, body string) []byte {
	return []byte("From: Alice <alice@example.org>\r\nSubject: Fwd: invoice\r\nMessage-Id: <1@example.org>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: " + ctype + "\r\nContent-Transfer-Encoding: " + cte + "\r\n\r\n" + body)
}

func TestReportPartsThatCannotBeReadAreRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ ctype, want string }{
		{"text/plain", "reading a text part: illegal base64 data"},
		{"text/html", "reading an HTML part: illegal base64 data"},
	} {
		_, err := mailbox.ParseReport(report(c.ctype, "base64", "aGVsbG8g!!!!d29ybGQ=\r\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s with broken base64: got %v, want %q", c.ctype, err, c.want)
		}
	}
	r, err := mailbox.ParseReport(report("text/html", "base64", "PGEgaHJlZj0iaHR0cDovL2V2aWwuZXhhbXBsZS9sb2dpbiI+aGk8L2E+\r\n"))
	if err != nil {
		t.Fatalf("good base64 HTML: %v", err)
	}
	if !strings.Contains(r.Text, "http://evil.example/login") {
		t.Errorf("good base64 HTML gave text %q", r.Text)
	}
}

func TestReportSubjectsThatDoNotDecodeStayAsWritten(t *testing.T) {
	t.Parallel()
	raw := strings.Replace(string(report("text/plain", "7bit", "see below\r\n")), "Subject: Fwd: invoice",
		"Subject: =?x-unknown?Q?caf=E9?= [INC-99999999999999999999]", 1)
	r, err := mailbox.ParseReport([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if r.Ref != 0 || r.SuspectSubject != "=?x-unknown?Q?caf=E9?= [INC-99999999999999999999]" {
		t.Errorf("ref %d, suspect subject %q", r.Ref, r.SuspectSubject)
	}
}

// forward is a report from Bob at example.org whose body is parts, a
// multipart/alternative or a single part given with its headers.
func forward(ctype, body string) []byte {
	return []byte("From: Bob Smith <bob@example.org>\r\nTo: phishing@example.org\r\nSubject: FW: Your mailbox is full\r\n" +
		"Message-ID: <fw@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: " + ctype + "\r\n\r\n" + body)
}

// indicators lists "type value" for what the report's text and typed
// values hold.
func indicators(t *testing.T, r *mailbox.Report) map[string]bool {
	t.Helper()
	var e ioc.Extractor
	have := map[string]bool{}
	for _, i := range e.Extract(r.Text).Indicators {
		have[string(i.Type)+" "+i.Value] = true
	}
	for _, v := range r.Typed {
		have[string(v.Type)+" "+v.Value] = true
	}
	return have
}

func checkForward(t *testing.T, name string, raw []byte, want ...string) {
	t.Helper()
	r, err := mailbox.ParseReport(raw)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	have := indicators(t, r)
	for _, w := range want {
		if !have[w] {
			t.Errorf("%s: missing %s; have %v", name, w, have)
		}
	}
	for v := range have {
		if strings.Contains(v, "example.org") && !strings.Contains(v, "billing@example.org") {
			t.Errorf("%s: the reporter's own %s is an indicator", name, v)
		}
	}
	if !strings.Contains(r.SuspectFrom, "bad-sender.net") {
		t.Errorf("%s: suspect from %q, want the forwarded sender", name, r.SuspectFrom)
	}
}

// TestInlineForwardYieldsIndicators: a lure forwarded inline (Outlook's
// plain text, no attachment) gives the forwarded sender, reply-to and
// links, without the reporter's address and signature domain.
func TestInlineForwardYieldsIndicators(t *testing.T) {
	t.Parallel()
	body := "Is this real?\r\n\r\nBob Smith | Finance | https://www.example.org | bob@example.org\r\n\r\n" +
		"________________________________\r\nFrom: IT Support <support@bad-sender.net>\r\nSent: Monday, 1 December 2026 09:12\r\n" +
		"To: Bob Smith <bob@example.org>\r\nReply-To: collect@harvest-creds.com\r\nSubject: Your mailbox is full\r\n\r\n" +
		"Your mailbox is full. Verify here: https://login-examp1e.com/o365/ver=\r\nify?u=3Dbob or write to billing@example.org\r\n"
	checkForward(t, "plain", forward("text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable", body),
		"email support@bad-sender.net", "domain bad-sender.net", "email collect@harvest-creds.com",
		"url https://login-examp1e.com/o365/verify?u=bob", "email billing@example.org")
}

// TestHTMLForwardYieldsLinkTargets: in an HTML-only forward the lure's
// link is its href, not the words shown.
func TestHTMLForwardYieldsLinkTargets(t *testing.T) {
	t.Parallel()
	body := "<p>Is this real?</p><p>Bob Smith | <a href=\"https://www.example.org/\">our site</a></p>" +
		"<div>---------- Forwarded message ---------<br><b>From:</b> IT Support &lt;support@bad-sender.net&gt;<br>" +
		"<b>Subject:</b> Your mailbox is full</div><p>Click <a href=\"https://login-examp1e.com/o365/verify\">Verify mailbox</a></p>" +
		"<img src=\"https://track.bad-sender.net/p.gif\">"
	checkForward(t, "html", forward("text/html; charset=utf-8", body),
		"email support@bad-sender.net", "url https://login-examp1e.com/o365/verify", "url https://track.bad-sender.net/p.gif")
}

// TestAttachedForwardLeavesTheReporterOut: with the lure attached
// (message/rfc822), the reporter's note and signature add nothing of
// theirs.
func TestAttachedForwardLeavesTheReporterOut(t *testing.T) {
	t.Parallel()
	body := "--outer\r\nContent-Type: text/plain\r\n\r\nSee attached. Bob, https://intranet.example.org/it\r\n" +
		"--outer\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"lure.eml\"\r\n\r\n" +
		"From: IT Support <support@bad-sender.net>\r\nTo: bob@example.org\r\nSubject: Your mailbox is full\r\n" +
		"Content-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\nContent-Type: text/plain\r\n\r\nVerify now\r\n" +
		"--inner\r\nContent-Type: text/html\r\n\r\n<a href=\"hxxps://login-examp1e[.]com/o365\">Verify now</a>\r\n--inner--\r\n" +
		"--outer--\r\n"
	checkForward(t, "attached", forward("multipart/mixed; boundary=outer", body),
		"email support@bad-sender.net", "url https://login-examp1e.com/o365")
}
