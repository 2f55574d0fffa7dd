package ioc_test

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/drone/ioc/ioctest"
)

// found lists what Extract finds as "type value".
func found(r ioc.Result) []string {
	out := []string{}
	for _, ind := range r.Indicators {
		out = append(out, string(ind.Type)+" "+ind.Value)
	}
	return out
}

type extractCase struct {
	name string
	text string
	want []string // "type value", in order
}

func runExtract(t *testing.T, cases []extractCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var e ioc.Extractor
			got := found(e.Extract(c.text))
			if c.want == nil {
				c.want = []string{}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("Extract(%q)\n got %q\nwant %q", c.text, got, c.want)
			}
		})
	}
}

func TestExtractTypes(t *testing.T) {
	t.Parallel()
	runExtract(t, []extractCase{
		{"ipv4", "from 203.0.113.5 port 22", []string{"ipv4 203.0.113.5"}},
		{"ipv4 with port", "dst=198.51.100.7:443", []string{"ipv4 198.51.100.7"}},
		{"ipv4 padded", "010.001.002.003", []string{"ipv4 10.1.2.3"}},
		{"ipv4 range", "10.0.0.1-10.0.0.9", []string{"ipv4 10.0.0.1", "ipv4 10.0.0.9"}},
		{"ipv4 after user", "ssh root@192.0.2.10", []string{"ipv4 192.0.2.10"}},
		{"ipv6", "from 2001:db8::1 and ::1", []string{"ipv6 2001:db8::1", "ipv6 ::1"}},
		{"ipv6 bracketed with port", "[2001:db8::2]:8443", []string{"ipv6 2001:db8::2"}},
		{"ipv6 upper case", "2001:DB8:0:0:0:0:0:1", []string{"ipv6 2001:db8::1"}},
		{"ipv6 mapped", "::ffff:192.0.2.1;", []string{"ipv6 ::ffff:192.0.2.1"}},
		{"cidr", "10.0.0.0/8 and 2001:db8::/32 and 192.0.2.9/24", []string{"cidr 10.0.0.0/8", "cidr 2001:db8::/32", "cidr 192.0.2.9/24"}},
		{"domain", "beacons to Evil-Example.com.", []string{"domain evil-example.com"}},
		{"domain private suffix", "x1.duckdns.org and y.github.io", []string{"domain x1.duckdns.org", "domain y.github.io"}},
		{"domain idn", "xn--80ak6aa92e.com", []string{"domain xn--80ak6aa92e.com"}},
		{"domain with path", "evil.com/gate.php", []string{"domain evil.com"}},
		{"url schemes", "http://a.com/x https://b.net ftp://c.org/f sftp://d.io tcp://1.2.3.4:99 udp://5.6.7.8:53",
			[]string{"url http://a.com/x", "url https://b.net", "url ftp://c.org/f", "url sftp://d.io", "url tcp://1.2.3.4:99", "url udp://5.6.7.8:53"}},
		{"url case", "HTTPS://WWW.Example.COM/Path?Q=A", []string{"url https://www.example.com/Path?Q=A"}},
		{"url userinfo port", "http://user:pw@evil.com:8080/a", []string{"url http://user:pw@evil.com:8080/a"}},
		{"url ipv6 host", "http://[2001:db8::1]:80/x", []string{"url http://[2001:db8::1]:80/x"}},
		{"url amp", "http://a.com/?x=1&amp;y=2", []string{"url http://a.com/?x=1&y=2"}},
		{"email", "Mail Bob.Smith+tag@Example.co.uk now", []string{"email bob.smith+tag@example.co.uk"}},
		{"email mailto", "mailto:a@b.io", []string{"email a@b.io"}},
		{"md5", "d41d8cd98f00b204e9800998ecf8427e", []string{"md5 d41d8cd98f00b204e9800998ecf8427e"}},
		{"sha1", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", []string{"sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{"sha256", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			[]string{"sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
		{"sha512", strings.Repeat("cf83e1357eefb8bd", 8), []string{"sha512 " + strings.Repeat("cf83e1357eefb8bd", 8)}},
		{"hash named file", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.exe",
			[]string{"sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "filename e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.exe"}},
		{"cve", "cve-2021-44228 and CVE-2024-1234567.", []string{"cve CVE-2021-44228", "cve CVE-2024-1234567"}},
		{"technique", "T1566, T1566.001, attack.t1059.001, T0801", []string{"attack-technique T1566", "attack-technique T1566.001", "attack-technique T1059.001", "attack-technique T0801"}},
		{"registry", `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\Shell is set`,
			[]string{`registry HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\Shell`}},
		{"registry powershell", `Get-Item HKCU:\Software\Classes\CLSID\{0002DF01-0000-0000-C000-000000000046}.`,
			[]string{`registry HKCU\Software\Classes\CLSID\{0002DF01-0000-0000-C000-000000000046}`}},
		{"registry json escaped", `"key": "HKLM\\Software\\Run"`, []string{`registry HKLM\Software\Run`}},
		{"file", "ran invoice.pdf.exe and C:\\Users\\x\\AppData\\a.dll, then /tmp/x.sh", []string{"filename invoice.pdf.exe", "filename a.dll", "filename x.sh"}},
		{"file vs domain", "update.zip www.update.zip", []string{"filename update.zip", "domain www.update.zip"}},
		{"asn", "AS13335, ASN 15169? AS 8075", []string{"asn AS13335", "asn AS15169", "asn AS8075"}},
		{"bitcoin", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
			[]string{"bitcoin 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "bitcoin 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "bitcoin bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}},
	})
}

func TestExtractDefanged(t *testing.T) {
	t.Parallel()
	runExtract(t, []extractCase{
		{"[.]", "evil[.]com 1.2.3[.]4", []string{"domain evil.com", "ipv4 1.2.3.4"}},
		{"(.)", "evil(.)com", []string{"domain evil.com"}},
		{"{.}", "evil{.}com", []string{"domain evil.com"}},
		{"[dot]", "evil[dot]com evil2[DOT]net", []string{"domain evil.com", "domain evil2.net"}},
		{"(dot)", "evil(dot)com", []string{"domain evil.com"}},
		{" dot ", "evil dot com", []string{"domain evil.com"}},
		{"spaced brackets", "bob [at] evil [dot] com", []string{"email bob@evil.com"}},
		{"backslash dot", `evil\.com`, []string{"domain evil.com"}},
		{"hxxp", "hxxp://evil.com/a", []string{"url http://evil.com/a"}},
		{"hXXps", "hXXps://evil.com/a", []string{"url https://evil.com/a"}},
		{"h__p", "h__p://evil.com/a", []string{"url http://evil.com/a"}},
		{"h**ps", "h**ps://evil.com/a", []string{"url https://evil.com/a"}},
		{"fxp", "fxp://evil.com/a", []string{"url ftp://evil.com/a"}},
		{"[https]", "[https]://evil.com/a", []string{"url https://evil.com/a"}},
		{"[:]", "http[:]//evil.com/a", []string{"url http://evil.com/a"}},
		{"[://]", "tcp[://]evil.com:99", []string{"url tcp://evil.com:99"}},
		{"[/]", "hxxp:[/][/]evil[.]com[/]a", []string{"url http://evil.com/a"}},
		{"json slashes", `"http:\/\/evil.com\/a"`, []string{"url http://evil.com/a"}},
		{"[@]", "bob[@]evil[.]com", []string{"email bob@evil.com"}},
		{"(at)", "bob(at)evil(dot)com", []string{"email bob@evil.com"}},
		{" at ", "bob at evil dot com", []string{"email bob@evil.com"}},
		{"ipv6 [:]", "2001[:]db8[:][:]1", []string{"ipv6 2001:db8::1"}},
		{"mixture", "[hxxps]://sub[.]evil(dot)com[/]x and hXXp[://]1(.)2[.]3{.}4", []string{"url https://sub.evil.com/x", "url http://1.2.3.4"}},
		{"port [:]", "1.2.3[.]4[:]8080", []string{"ipv4 1.2.3.4"}},
		{"prose at", "meet at noon, look at evil dot com", []string{"domain evil.com"}},
		{"prose dot", "the dot com era", nil},
		{"plain at needs plain dot", "the panel at evil[.]com", []string{"domain evil.com"}},
	})
}

func TestExtractMarkup(t *testing.T) {
	t.Parallel()
	runExtract(t, []extractCase{
		{"slack autolink", "<http://evil.com|evil.com>", []string{"domain evil.com"}},
		{"slack autolink path", "<http://evil.com/x|evil.com/x>", []string{"domain evil.com"}},
		{"slack mailto", "<mailto:a@evil.com|a@evil.com>", []string{"email a@evil.com"}},
		{"slack link label", "<https://evil.com/login|click here>", []string{"url https://evil.com/login"}},
		{"slack link host label", "<https://evil.com/login|evil.com>", []string{"url https://evil.com/login"}},
		{"slack bare", "<https://evil.com/login>", []string{"url https://evil.com/login"}},
		{"slack mentions", "<@U123> <#C1|general> <!here> 1.2.3.4", []string{"ipv4 1.2.3.4"}},
		{"markdown", "[click](https://evil.com/a)", []string{"url https://evil.com/a"}},
		{"markdown echo", "[evil.com](http://evil.com) [http://x.org/a](http://x.org/a)", []string{"url http://evil.com", "url http://x.org/a"}},
		{"markdown other label", "[see 1.2.3.4](https://evil.com/a)", []string{"ipv4 1.2.3.4", "url https://evil.com/a"}},
		{"markdown defanged", "[hxxp://a[.]com/x](hxxp://a[.]com/x)", []string{"url http://a.com/x"}},
		{"backticks", "`evil.com` and ```\n1.2.3.4\n```", []string{"domain evil.com", "ipv4 1.2.3.4"}},
		{"emphasis", "**evil.com** _bad.net_ ~~x.org~~ ||y.io||", []string{"domain evil.com", "domain bad.net", "domain x.org", "domain y.io"}},
	})
}

// TestManyIndicators crosses the size where de-duplication switches from
// a linear search to a table, with a link label to drop in the middle.
func TestManyIndicators(t *testing.T) {
	t.Parallel()
	var text strings.Builder
	var want []string
	for i := range 40 {
		fmt.Fprintf(&text, "10.0.0.%d invoice%d.pdf ", i, i)
		want = append(want, fmt.Sprintf("ipv4 10.0.0.%d", i))
		if i == 30 {
			text.WriteString("[evil.com](http://evil.com) ")
			want = append(want, "url http://evil.com")
		}
	}
	text.WriteString(text.String()) // everything twice
	var e ioc.Extractor
	r := e.Extract(text.String())
	if got := found(r); !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if len(r.Rejected) != 40 {
		t.Errorf("%d rejections, want 40 (one per file name)", len(r.Rejected))
	}
}

func TestExtractTraps(t *testing.T) {
	t.Parallel()
	runExtract(t, []extractCase{
		{"av names", "Trojan.Win32.Emotet HEUR:Trojan.Script.Generic Trojan:Win32/Wacatac.B!ml Win32/Agent.ABC Backdoor.Linux.Mirai.b", nil},
		{"av name with cve", "Exploit.CVE-2017-11882.Gen", []string{"cve CVE-2017-11882"}},
		{"versions", "v1.2.3.4 10.0.19041.1 1.2.3.4.5 version 4.3.2.1 Chrome/120.0.0.0 curl/7.0.0.1", nil},
		{"hex in words", "x0d41d8cd98f00b204e9800998ecf8427e 0xd41d8cd98f00b204e9800998ecf8427e abc_d41d8cd98f00b204e9800998ecf8427e", nil},
		{"hex not hash", "deadbeefdeadbeefdeadbeefdeadbeef 00000000000000000000000000000000 " + strings.Repeat("a1", 18), nil},
		{"file names", "invoice.pdf report.docx README.md Main.java", nil},
		{"code", "System.IO WScript.Shell node.js ASP.NET com.example.app.Main.run window.open", nil},
		{"trailing punctuation", "see http://x.com/a). (http://y.com/b) 'http://z.com/c' http://w.com/d, http://v.com/e!",
			[]string{"url http://x.com/a", "url http://y.com/b", "url http://z.com/c", "url http://w.com/d", "url http://v.com/e"}},
		{"balanced parens", "https://en.wikipedia.org/wiki/Emotet_(malware)", []string{"url https://en.wikipedia.org/wiki/Emotet_(malware)"}},
		{"same url twice", "http://x.com/a http://x.com/a hxxp://x[.]com/a", []string{"url http://x.com/a"}},
		{"time and mac", "12:30:45 00:1a:2b:3c:4d:5e", nil},
		{"abbreviations", "e.g. i.e. U.S. a.m.", nil},
		{"unknown tld", "host.local printer.corp x.invalid", nil},
		{"percent encoding", "?u=http%3A%2F%2Fvictim.example.com%2F", []string{"domain victim.example.com"}},
	})
}

func TestRejectedReasons(t *testing.T) {
	t.Parallel()
	cases := []struct{ text, raw, reason string }{
		{"v1.2.3.4", "v1.2.3.4", "version number, not an IP"},
		{"10.0.19041.1", "10.0.19041.1", "version number, not an IP"},
		{"1.2.3.4.5", "1.2.3.4.5", "not an IP"},
		{"invoice.pdf", "invoice.pdf", "file name, not a domain: .pdf is not a public suffix"},
		{"Trojan.Win32.Agent", "Trojan.Win32.Agent", "anti-virus signature name, not a domain"},
		{"ghd41d8cd98f00b204e9800998ecf8427e", "ghd41d8cd98f00b204e9800998ecf8427e", "hex run of 32 chars inside a longer word"},
		{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "bad checksum"},
		{"http://localhost/a", "http://localhost/a", "URL host is not a domain"},
	}
	for _, c := range cases {
		var e ioc.Extractor
		r := e.Extract(c.text)
		ok := false
		for _, rej := range r.Rejected {
			ok = ok || rej.Raw == c.raw && strings.Contains(rej.Reason, c.reason)
		}
		if !ok || len(r.Indicators) != 0 {
			t.Errorf("Extract(%q) = %+v, want only a rejection of %q for %q", c.text, r, c.raw, c.reason)
		}
	}
}

func TestRawAndOffset(t *testing.T) {
	t.Parallel()
	text := "x hxxp://evil[.]com/a y bob at evil dot org AS 13335"
	var e ioc.Extractor
	r := e.Extract(text)
	want := []ioc.Indicator{
		{Type: ioc.URL, Value: "http://evil.com/a", Raw: "hxxp://evil[.]com/a", Offset: 2},
		{Type: ioc.Email, Value: "bob@evil.org", Raw: "bob at evil dot org", Offset: 24},
		{Type: ioc.ASN, Value: "AS13335", Raw: "AS 13335", Offset: 44},
	}
	if !slices.Equal(r.Indicators, want) {
		t.Errorf("got %+v\nwant %+v", r.Indicators, want)
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	e := ioc.New(ioc.Options{
		InternalDomains: []string{"corp.local", "Example-Corp.com"},
		InternalNets:    []netip.Prefix{netip.MustParsePrefix("100.64.0.0/10")},
		Allow:           []string{"google[.]com", "8.8.8.0/24", "d41d8cd98f00b204e9800998ecf8427e"},
	})
	r := e.Extract("10.1.1.1 100.64.3.4 203.0.113.1 fs.corp.local a@example-corp.com http://www.example-corp.com/x " +
		"www.google.com 8.8.8.8 https://mail.google.com/x d41d8cd98f00b204e9800998ecf8427e 127.0.0.1 fe80::1 evil.com")
	var got []string
	for _, ind := range r.Indicators {
		got = append(got, fmt.Sprintf("%s %s %v", ind.Type, ind.Value, ind.Internal))
	}
	want := []string{"ipv4 10.1.1.1 true", "ipv4 100.64.3.4 true", "ipv4 203.0.113.1 false", "domain fs.corp.local true",
		"email a@example-corp.com true", "url http://www.example-corp.com/x true", "ipv4 127.0.0.1 true", "ipv6 fe80::1 true",
		"domain evil.com false"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	var allowed []string
	for _, rej := range r.Rejected {
		if strings.Contains(rej.Reason, "allow-listed") {
			allowed = append(allowed, rej.Raw)
		}
	}
	if want := []string{"www.google.com", "8.8.8.8", "https://mail.google.com/x", "d41d8cd98f00b204e9800998ecf8427e"}; !slices.Equal(allowed, want) {
		t.Errorf("allow-listed %q, want %q", allowed, want)
	}
	if v, err := e.Validate(ioc.Domain, "FS.corp.local"); err != nil || v != "fs.corp.local" {
		t.Errorf("Validate internal domain = %q, %v", v, err)
	}
}

func TestRefangDefang(t *testing.T) {
	t.Parallel()
	refang := map[string]string{
		"hxxps://evil[.]com/a":         "https://evil.com/a",
		"[https]://evil(.)com":         "https://evil.com",
		"bob(at)evil{.}com":            "bob@evil.com",
		"bob at evil dot com, at noon": "bob@evil.com, at noon",
		"meet at noon":                 "meet at noon",
		"1.2.3[.]4 and h__p://x[.]io":  "1.2.3.4 and http://x.io",
		`HKLM\Software\x\.y`:           `HKLM\Software\x\.y`,
	}
	for in, want := range refang {
		if got := ioc.Refang(in); got != want {
			t.Errorf("Refang(%q) = %q, want %q", in, got, want)
		}
	}
	defang := []struct {
		t       ioc.Type
		v, want string
	}{
		{ioc.URL, "https://evil.com/a.php", "hxxps://evil[.]com/a.php"},
		{ioc.URL, "tcp://1.2.3.4:9", "tcp[://]1[.]2[.]3[.]4:9"},
		{ioc.Domain, "evil.com", "evil[.]com"},
		{ioc.IPv4, "1.2.3.4", "1[.]2[.]3[.]4"},
		{ioc.IPv6, "2001:db8::1", "2001[:]db8[:][:]1"},
		{ioc.Email, "a.b@evil.com", "a.b[@]evil[.]com"},
		{ioc.MD5, "d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e"},
	}
	for _, c := range defang {
		got := ioc.Defang(c.t, c.v)
		if got != c.want {
			t.Errorf("Defang(%s, %q) = %q, want %q", c.t, c.v, got, c.want)
		}
		if back := ioc.Refang(got); back != c.v {
			t.Errorf("Refang(%q) = %q, want %q", got, back, c.v)
		}
		var e ioc.Extractor
		if r := e.Extract(got); !has(r, c.t, c.v) {
			t.Errorf("Extract(%q) = %+v, want %s %s", got, r, c.t, c.v)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := []struct {
		t         ioc.Type
		in, value string
	}{
		{ioc.IPv4, " 1.2.3[.]4 ", "1.2.3.4"},
		{ioc.IP, "2001:DB8::1", "2001:db8::1"},
		{ioc.IP, "10.0.0.1", "10.0.0.1"},
		{ioc.CIDR, "10.0.0.0/8", "10.0.0.0/8"},
		{ioc.Domain, "Evil[.]COM.", "evil.com"},
		{ioc.URL, "hxxp://evil[.]com/x", "http://evil.com/x"},
		{ioc.URL, "evil.com/login", "http://evil.com/login"},
		{ioc.Email, "Bob[@]Evil.com", "bob@evil.com"},
		{ioc.Hash, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"},
		{ioc.Hash, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{ioc.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{ioc.CVE, "cve-2021-44228", "CVE-2021-44228"},
		{ioc.Technique, "t1566.001", "T1566.001"},
		{ioc.Registry, `HKEY_CURRENT_USER\Software\Run\`, `HKCU\Software\Run`},
		{ioc.File, `C:\Users\x\report.pdf`, "report.pdf"},
		{ioc.ASN, "asn 13335", "AS13335"},
		{ioc.Bitcoin, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"},
		{ioc.UserName, `CORP\JDoe`, `corp\jdoe`},
		{ioc.UserName, "jdoe@corp.local", "jdoe@corp.local"},
		{ioc.UserName, "CN=John Doe,OU=Users,DC=corp,DC=com", "CN=John Doe,OU=Users,DC=corp,DC=com"},
		{ioc.Other, "  free text  ", "free text"},
	}
	for _, c := range ok {
		got, err := ioc.Validate(c.t, c.in)
		if err != nil || got != c.value {
			t.Errorf("Validate(%s, %q) = %q, %v; want %q", c.t, c.in, got, err, c.value)
		}
	}
	bad := []struct {
		t       ioc.Type
		in, in2 string // in2: a word the error must hold
	}{
		{ioc.IPv4, "1.2.3.4.5", "version or OID"},
		{ioc.IPv4, "1.2.3.256", "out of range"},
		{ioc.IPv6, "1.2.3.4", "IPv6"},
		{ioc.Domain, "invoice.pdf", ".pdf is not a public suffix"},
		{ioc.SHA256, "d41d8cd98f00b204e9800998ecf8427e", "MD5 length"},
		{ioc.Hash, "xyz", "hex"},
		{ioc.Email, "bob.evil.com", "'@'"},
		{ioc.CVE, "CVE-21-1", "CVE-YYYY-NNNN"},
		{ioc.Registry, `Software\Run`, "hive"},
		{ioc.UserName, "john doe", "user name"},
		{ioc.Bitcoin, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", "checksum"},
		{ioc.Domain, "", "empty"},
	}
	for _, c := range bad {
		if got, err := ioc.Validate(c.t, c.in); err == nil || !strings.Contains(err.Error(), c.in2) {
			t.Errorf("Validate(%s, %q) = %q, %v; want an error with %q", c.t, c.in, got, err, c.in2)
		}
	}
}

func TestParseTypeAndGuess(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]ioc.Type{"ip": ioc.IP, "hash": ioc.Hash, "FQDN": ioc.Domain, "sha-256": ioc.SHA256,
		"ldap user": ioc.UserName, "ipv6": ioc.IPv6, "url": ioc.URL, "mail": ioc.Email} {
		if got, err := ioc.ParseType(in); err != nil || got != want {
			t.Errorf("ParseType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ioc.ParseType("colour"); err == nil {
		t.Error("ParseType(colour) gave no error")
	}
	if typ, v, err := ioc.Resolve(ioc.Hash, "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"); err != nil || typ != ioc.SHA1 || v != "da39a3ee5e6b4b0d3255bfef95601890afd80709" {
		t.Errorf("Resolve(hash) = %s %q %v", typ, v, err)
	}
	if typ, _, err := ioc.Resolve(ioc.IP, "2001:db8::1"); err != nil || typ != ioc.IPv6 {
		t.Errorf("Resolve(ip) = %s %v", typ, err)
	}
	if typ, v, err := ioc.Guess("hxxp://evil[.]com"); err != nil || typ != ioc.URL || v != "http://evil.com" {
		t.Errorf("Guess = %s %q %v", typ, v, err)
	}
	if _, _, err := ioc.Guess("10.0.19041.1"); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("Guess(version) error = %v", err)
	}
}

func TestHiveDataType(t *testing.T) {
	t.Parallel()
	for typ, want := range map[ioc.Type]string{ioc.IPv4: "ip", ioc.CIDR: "ip", ioc.Domain: "domain", ioc.URL: "url",
		ioc.Email: "mail", ioc.SHA1: "hash", ioc.Registry: "registry", ioc.File: "filename", ioc.ASN: "autonomous-system",
		ioc.CVE: "other", ioc.Bitcoin: "other", ioc.UserName: "other"} {
		if got := typ.HiveDataType(); got != want {
			t.Errorf("%s.HiveDataType() = %q, want %q", typ, got, want)
		}
	}
	if got := (ioc.Indicator{Type: ioc.Domain, Value: "www.example.co.uk"}).HiveDataType(); got != "fqdn" {
		t.Errorf("sub-domain HiveDataType = %q, want fqdn", got)
	}
	if got := (ioc.Indicator{Type: ioc.Domain, Value: "example.co.uk"}).HiveDataType(); got != "domain" {
		t.Errorf("domain HiveDataType = %q, want domain", got)
	}
}

// TestExtractConcurrentIsExtract checks that cutting a long text at line
// ends and merging gives what one Extract gives.
func TestExtractConcurrentIsExtract(t *testing.T) {
	cases, err := ioctest.LoadCorpus(ioctest.CorpusPath())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for b.Len() < 600<<10 {
		for _, c := range cases {
			b.WriteString(c.Text)
			b.WriteByte('\n')
		}
	}
	var e ioc.Extractor
	want := e.Extract(b.String())
	for _, workers := range []int{2, 3, 7} {
		if got := e.ExtractConcurrent(b.String(), workers); !reflect.DeepEqual(got, want) {
			t.Errorf("%d workers: %d indicators, %d rejected; Extract: %d, %d", workers,
				len(got.Indicators), len(got.Rejected), len(want.Indicators), len(want.Rejected))
		}
	}
}

// TestValidateIDN checks that a typed internationalised name is accepted in
// native script and in punycode, and given back as punycode.
func TestValidateIDN(t *testing.T) {
	for _, in := range []string{"пример.рус", "xn--e1afmkfd.xn--p1acf", "ПРИМЕР.РУС"} {
		if v, err := ioc.Validate(ioc.Domain, in); err != nil || v != "xn--e1afmkfd.xn--p1acf" {
			t.Errorf("Validate(domain, %q) = %q, %v", in, v, err)
		}
	}
	for _, in := range []string{"xn--zz.com", "пример.нетакого"} {
		if v, err := ioc.Validate(ioc.Domain, in); err == nil {
			t.Errorf("Validate(domain, %q) = %q, want an error", in, v)
		}
	}
}

// TestRejectionsSayWhatWasCut checks the reasons given for host names cut
// after a separator and for code identifiers ending in a real TLD.
func TestRejectionsSayWhatWasCut(t *testing.T) {
	for _, c := range []struct{ text, raw, reason string }{
		{"set HOST_cdn-sync.org now", "HOST_cdn-sync.org", `host name cut after "HOST_"`},
		{"flag --beacon.tele-sync.net", "--beacon.tele-sync.net", `host name cut after "--"`},
		{"www.-x.cdn-sync.org", "www.-x.cdn-sync.org", `host name cut after "www.-x."`},
		{"read user.id from the row", "user.id", "code identifier, not a domain: user is a variable"},
	} {
		var e ioc.Extractor
		r := e.Extract(c.text)
		ok := false
		for _, rej := range r.Rejected {
			ok = ok || rej.Raw == c.raw && strings.Contains(rej.Reason, c.reason)
		}
		if !ok {
			t.Errorf("%q: no rejection of %q saying %q: %+v", c.text, c.raw, c.reason, r.Rejected)
		}
	}
}

// TestNestedURLsStayLinear: a URL holding thousands of nested URLs (which
// once took a minute) gives the URL and its first few nested ones.
func TestNestedURLsStayLinear(t *testing.T) {
	var e ioc.Extractor
	for _, inner := range []string{"u=https://b.com/", "u=https%3A%2F%2Fb.com%2F"} {
		r := e.Extract("https://a.com/?" + strings.Repeat(inner, 20000))
		if n := len(r.Indicators); n < 2 || n > 5 {
			t.Errorf("%s x 20000: %d indicators, want the URL and up to 4 nested", inner, n)
		}
	}
}
