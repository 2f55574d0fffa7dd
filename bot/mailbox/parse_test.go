package mailbox_test

import (
	"strings"
	"testing"

	"github.com/ttp0/drone/bot/mailbox"
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
