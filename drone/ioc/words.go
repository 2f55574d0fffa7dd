package ioc

import "strings"

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// riskyExt are the extensions that make a file name worth an indicator:
// executables, scripts, macro documents, shortcuts, disk images, archives.
var riskyExt = set(`exe dll so scr pif cpl sys drv ocx msi msp msc bat cmd ps1 psm1 psd1 vbs vbe
	js jse wsf wsh hta jar lnk iso img vhd vhdx docm xlsm pptm dotm xlam xll one chm scf iqy slk
	apk elf sh py rar 7z zip cab ace arj gz tgz dmg pkg deb rpm appx msix appref-ms settingcontent-ms
	application gadget jnlp reg inf`)

// suffixExt are risky extensions that are also top-level domains: a name
// with two labels is taken as a file, a longer one as a domain.
var suffixExt = set(`zip sh py one cab so`)

// fileExt are common extensions of harmless files, so a rejected dotted
// word ending with one is explained as a file name.
var fileExt = set(`pdf doc docx xls xlsx ppt pptx txt log csv tsv json xml html htm php asp aspx jsp
	css png jpg jpeg gif bmp svg ico tif tiff mp3 mp4 avi mkv wav tmp dat bak cfg conf ini yml yaml
	toml rtf odt ods tar bz2 xz db sqlite pcap pcapng eml msg evtx etl dmp lock pem crt cer key
	c h cpp java class go rb lua ts tsx jsx vue md`)

// techNames are software names written like domains.
var techNames = set(`node.js vue.js next.js nuxt.js react.js express.js d3.js three.js chart.js
	angular.js ember.js backbone.js moment.js asp.net vb.net ado.net`)

// codeSuffixes are public suffixes (brand TLDs mostly) that are also
// method and property names: obj.open, WScript.Shell, request.data. A name
// of two labels ending with one is taken as code.
var codeSuffixes = set(`open read call map data style search play shell save java`)

// identRoots are variable names that read as the first label of a
// two-label domain when code names a field of them: user.id, config.name,
// self.data. A name of two labels starting with one is taken as code.
var identRoots = set(`user self this obj config cfg settings opts options args params req request
	resp response event evt ctx err row item env props state`)

// productWords are lower-case products of User-Agent strings, whose
// version after '/' is not an address (curl/7.68.0.1).
var productWords = set(`curl wget okhttp python go java ruby node php libwww axios`)

// javaRoots start Java and Android package names (com.example.app.Main.run).
var javaRoots = set(`com org net java javax android androidx kotlin sun`)

// versionWords announce a version number before a dotted quad.
var versionWords = set(`version versions ver v build firmware release releases rev revision
	patch patched upgrade upgraded prior fixed kernel`)

// stopWords are English words that stand before " at " or " dot " in prose
// ("meet at noon", "the dot com era"), never as a local part or a label.
var stopWords = set(`a an the and or but nor of to in on at by for with from into onto upon about
	is are was were be been being am it its this that these those there here where when then than
	i me my we us our you your he him his she her they them their who whom which what
	look looks looked looking meet meets met meeting arrive arrives arrived arriving
	stay stays stayed stop stops stopped start starts started starting begin begins began end ends ended
	aim aimed aiming point points pointed pointing located hosted hosting live lives lived work works
	worked working click clicked seen found available sent received posted published listed
	connect connects connected connecting attack attacks attacked attacking targeted targeting
	only not just also even least most all any some each every no yes up down out over off
	one two three first last next later early late noon midnight home office once twice
	dot com net org polka
	c2 cnc server servers panel site website domain host ip address endpoint page portal url link
	infrastructure node relay proxy gateway payload beacon beacons beaconing callback traffic
	requests connections registered resolves resolved redirects redirected hosts`)

// isStopWord reports whether w (any case) is a stop word.
func isStopWord(w string) bool { return inSet(stopWords, w) }

// avCategory are words that start anti-virus signature names.
var avCategory = set(`trojan backdoor worm virus heur heuristic ransom ransomware exploit adware
	riskware hacktool pua pup spyware rootkit downloader dropper trojandownloader trojandropper
	trojanspy trojan-downloader trojan-dropper trojan-spy trojan-psw trojan-ransom trojan-banker
	trojan-clicker trojan-proxy not-a-virus gen variant mal troj malware suspicious packed
	backdoor-bot keylogger stealer infostealer coinminer miner`)

// avPlatform are the platform words of anti-virus signature names.
var avPlatform = set(`win32 win64 w32 w64 msil linux unix osx macos android androidos js vbs vba
	html o97m w97m x97m script java php perl python powershell ps bat doc xml pdf swf elf multi
	symbos ios msoffice shell sh win andr jar`)

// isAVName reports whether p reads as an anti-virus signature name: a
// category word first (Trojan.*, HEUR:*) or a platform word first followed
// by '/' or ':' (Win32/Agent) or a category word (Win.Trojan.Agent).
func isAVName(p string) bool {
	j := nextSep(p, 0)
	if j < 2 || j > 18 || !avPrefix[pairIndex(p)] { // most names and all addresses
		return false
	}
	if j+1 >= len(p) {
		return false
	}
	kind := avWordKind(p[:j])
	lead, plat := kind&avLead != 0, kind&avPlat != 0
	if !lead && !plat {
		return false
	}
	sep, next := p[j], p[j+1]
	later := func(m map[string]bool) bool {
		for i := j + 1; i < len(p); {
			k := nextSep(p, i)
			if inSet(m, p[i:k]) {
				return true
			}
			i = k + 1
		}
		return false
	}
	if lead {
		return sep != '.' || 'A' <= p[0] && p[0] <= 'Z' || later(avPlatform) || later(avCategory)
	}
	return sep == ':' || sep == '/' && 'A' <= next && next <= 'Z' || later(avCategory)
}

// The kinds of word of a signature name, looked up together in avWords.
const (
	avLead uint8 = 1 << iota // a category word (avCategory)
	avPlat                   // a platform word (avPlatform)
)

var avWords = func() map[string]uint8 {
	m := map[string]uint8{}
	for w := range avCategory {
		m[w] |= avLead
	}
	for w := range avPlatform {
		m[w] |= avPlat
	}
	return m
}()

// avWordKind looks w (any case) up in avWords without allocating.
func avWordKind(w string) uint8 {
	var buf [24]byte
	if len(w) > len(buf) {
		return 0
	}
	b := buf[:len(w)]
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return avWords[string(b)]
}

// avPrefix holds the first two characters of the words that may start a
// signature name, a cheap test before the look-ups.
var avPrefix = func() (t [36 * 36]bool) {
	for _, m := range []map[string]bool{avCategory, avPlatform} {
		for w := range m {
			t[pairIndex(w)] = true
		}
	}
	return t
}()

// pairIndex maps the first two characters of w (letters in any case, or
// digits) to 1..1295, or to 0 when either is neither.
func pairIndex(w string) int {
	a, b := alnum36[w[0]], alnum36[w[1]]
	if a == 0 || b == 0 {
		return 0
	}
	return int(a-1)*36 + int(b-1)
}

// alnum36 numbers digits and letters (any case) from 1 to 36.
var alnum36 = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = uint8(c-'0') + 1
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = uint8(c-'a') + 11
		t[c-32] = uint8(c-'a') + 11
	}
	return t
}()

// nextSep returns the index of the next '.', ':' or '/' in p from i, or len(p).
func nextSep(p string, i int) int {
	for i < len(p) && p[i] != '.' && p[i] != ':' && p[i] != '/' {
		i++
	}
	return i
}
