package smtptest

import "strings"

// Suspicious is a phishing message as a user's client attaches it when
// they report it: its headers, an HTML body hiding a link, an attachment.
const Suspicious = "Return-Path: <bounce@mailer.bad-sender.net>\r\n" +
	"Received: from mx.bad-sender.net (mx.bad-sender.net [198.51.100.77]) by mx.example.org with ESMTPS\r\n" +
	"Received: from [10.9.8.7] by mx.bad-sender.net\r\n" +
	"From: \"IT Support\" <support@bad-sender.net>\r\n" +
	"Reply-To: collect@harvest-creds.com\r\n" +
	"Subject: Your mailbox is full\r\n" +
	"Content-Type: multipart/mixed; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"\r\n" +
	"<p>Click <a href=\"https://login-examp1e.com/o365/verify\">here</a> to keep your mail.</p>\r\n" +
	"--inner\r\n" +
	"Content-Type: application/pdf; name=\"invoice.pdf\"\r\n" +
	"Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"JVBERi0xLjQKbWFsaWNpb3Vz\r\n" +
	"--inner--\r\n"

// PhishingReport is a user's report of Suspicious, forwarded as an
// attachment under subject, as the phishing-report mailbox receives it.
func PhishingReport(subject string) string {
	return "From: Bob <bob@example.org>\r\n" +
		"To: phishing@example.org\r\n" +
		"Subject: " + subject + "\r\n" +
		"Message-ID: <report-" + strings.ReplaceAll(subject, " ", "") + "@example.org>\r\n" +
		"Content-Type: multipart/mixed; boundary=outer\r\n" +
		"\r\n" +
		"--outer\r\n" +
		"Content-Type: text/plain\r\n" +
		"\r\n" +
		"This looks like phishing, see attached.\r\n" +
		"--outer\r\n" +
		"Content-Type: message/rfc822\r\n" +
		"Content-Disposition: attachment; filename=\"suspicious.eml\"\r\n" +
		"\r\n" + Suspicious +
		"--outer--\r\n"
}
