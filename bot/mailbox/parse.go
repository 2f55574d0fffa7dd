package mailbox

import (
	"bytes"
	"crypto/md5" //nolint:gosec // MD5 is asked for as an indicator, not used for security
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/netip"
	"net/textproto"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/html"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

// Limits of the MIME walk: a hostile message must not make it recurse or
// allocate without end.
const (
	maxDepth = 8
	maxParts = 200
)

// Report is a reported message, read: the suspicious message is the one
// attached (message/rfc822) when there is one, else the report itself (a
// redirected message, or one forwarded inline).
type Report struct {
	MessageID string // the report's own Message-ID
	Subject   string // the report's subject
	Reporter  *mail.Address
	// Ref is the incident the subject names ("[INC-42]"), 0 when none.
	Ref int64
	// Suspect describes the suspicious message.
	SuspectSubject string
	SuspectFrom    string
	// Text is the bodies' text and the links of their HTML, to extract
	// indicators from.
	Text string
	// Typed are the indicators of known type: the sender, Reply-To,
	// Return-Path, the Received addresses, and the attachments' names and
	// hashes.
	Typed       []drone.TypedValue
	Attachments []Attachment
}

// Attachment is a file of the suspicious message.
type Attachment struct {
	Name   string
	Size   int
	SHA256 string
	MD5    string
}

var refInSubject = regexp.MustCompile(`(?i)\[\s*INC-(\d+)\s*\]`)

// ParseReport reads a reported message.
func ParseReport(raw []byte) (*Report, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not an e-mail message: %w", err)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = msg.Header.Get("Subject")
	}
	r := &Report{MessageID: strings.TrimSpace(msg.Header.Get("Message-Id")), Subject: subject}
	if from, err := msg.Header.AddressList("From"); err == nil && len(from) > 0 {
		r.Reporter = from[0]
	}
	if m := refInSubject.FindStringSubmatch(subject); m != nil {
		// A number beyond int64 names no incident: the report opens one.
		if n, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			r.Ref = n
		}
	}
	w := &walker{}
	w.walk(textHeader(msg.Header), msg.Body, 0)
	if w.err != nil {
		return nil, w.err
	}
	suspectHeader := msg.Header
	forwarded := w.attached != nil
	if w.attached != nil {
		suspectHeader = w.attached.Header
		inner := &walker{parts: w.parts}
		inner.walk(textHeader(w.attached.Header), w.attached.Body, 1)
		if inner.err != nil {
			return nil, inner.err
		}
		w.text = append(w.text, inner.text...)
		w.files = append(w.files, inner.files...)
	}
	if r.SuspectSubject, err = dec.DecodeHeader(suspectHeader.Get("Subject")); err != nil {
		r.SuspectSubject = suspectHeader.Get("Subject") // an unknown charset: the words as written
	}
	r.SuspectFrom = suspectHeader.Get("From")
	if w.attached == nil {
		// Forwarded inline: the suspect's headers are lines of the body,
		// and the report's own headers are the reporter's.
		if h := inlineForward(w.text, r.Reporter); h != nil {
			forwarded = true
			suspectHeader = h
			r.SuspectFrom = h.Get("From")
			r.SuspectSubject = orText(h.Get("Subject"), r.SuspectSubject)
		}
	}
	r.Typed = headerIndicators(suspectHeader)
	r.Text = strings.Join(append([]string{r.SuspectSubject}, w.text...), "\n")
	if forwarded && r.Reporter != nil {
		r.Text = maskReporter(r.Text, r.Reporter.Address)
		r.Typed = slices.DeleteFunc(r.Typed, func(v drone.TypedValue) bool {
			return strings.EqualFold(v.Value, r.Reporter.Address)
		})
	}
	for _, a := range w.files {
		r.Attachments = append(r.Attachments, a)
		tags := []string{"attachment"}
		if a.Name != "" {
			r.Typed = append(r.Typed, drone.TypedValue{Type: ioc.File, Value: a.Name, Tags: tags})
			tags = append(tags, "file:"+a.Name)
		}
		r.Typed = append(r.Typed, drone.TypedValue{Type: ioc.SHA256, Value: a.SHA256, Tags: tags},
			drone.TypedValue{Type: ioc.MD5, Value: a.MD5, Tags: tags})
	}
	return r, nil
}

// fwdAddress finds the address in a forwarded header line, written
// "Name <a@b>", "a@b" or Outlook's "Name [mailto:a@b]".
var fwdAddress = regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)

// inlineForward finds the header block of a message forwarded inline in
// the report's text parts ("---------- Forwarded message ---------",
// Outlook's "From: ... Sent: ...", Apple's "Begin forwarded message:"):
// the first "From:" line naming someone other than the reporter, and the
// header lines around it up to a blank line. It returns nil when there is
// none.
func inlineForward(parts []string, reporter *mail.Address) mail.Header {
	for _, part := range parts {
		lines := strings.Split(strings.ReplaceAll(part, "\r\n", "\n"), "\n")
		for i, line := range lines {
			l := strings.Trim(line, " \t>*")
			k, v, ok := strings.Cut(l, ":")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "From") {
				continue
			}
			v = strings.TrimSpace(v)
			if v == "" && i+1 < len(lines) { // HTML gives "From:" and the name on lines of their own
				v = strings.TrimSpace(lines[i+1])
			}
			addr := fwdAddress.FindString(v)
			if addr == "" || reporter != nil && strings.EqualFold(addr, reporter.Address) {
				continue
			}
			h := mail.Header{"From": {v}}
			if a, err := mail.ParseAddress(v); err != nil || !strings.EqualFold(a.Address, addr) {
				h["From"] = []string{addr}
			}
			for _, next := range lines[i+1 : min(len(lines), i+12)] {
				n := strings.Trim(next, " \t>*")
				if n == "" {
					break
				}
				k, v, ok := strings.Cut(n, ":")
				switch k = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k)); {
				case !ok:
				case k == "Subject":
					h[k] = []string{strings.TrimSpace(v)}
				case k == "Reply-To":
					if a := fwdAddress.FindString(v); a != "" {
						h[k] = []string{a}
					}
				}
			}
			return h
		}
	}
	return nil
}

// maskReporter blanks out of a forwarded report's text the reporter's own
// address, and the host names and URLs of the reporter's domain (the
// signature's web site): they are not the suspect's. Other addresses at
// that domain stay: a spoof of the reporter's own domain is an indicator.
func maskReporter(text, address string) string {
	at := strings.LastIndexByte(address, '@')
	if at < 0 {
		return text
	}
	domain := strings.ToLower(address[at+1:])
	low := strings.ToLower(text)
	b := []byte(text)
	blank := func(i, j int) {
		for k := i; k < j; k++ {
			if b[k] != '\n' {
				b[k] = ' '
			}
		}
	}
	for i := 0; ; {
		k := strings.Index(low[i:], domain)
		if k < 0 {
			break
		}
		k += i
		e := k + len(domain)
		i = e
		if e < len(low) && isHostByte(low[e]) && low[e] != '.' || e+1 < len(low) && low[e] == '.' && isHostByte(low[e+1]) {
			continue // example.org.evil.net: a longer name
		}
		s := k
		for s > 0 && isHostByte(low[s-1]) {
			s--
		}
		if s < k && low[k-1] != '.' {
			continue // notexample.org
		}
		if s > 0 && low[s-1] == '@' { // an address at the reporter's domain
			ls := s - 1
			for ls > 0 && (isHostByte(low[ls-1]) || strings.IndexByte("_%+'", low[ls-1]) >= 0) {
				ls--
			}
			if low[ls:e] == strings.ToLower(address) {
				blank(ls, e)
			}
			continue
		}
		if s >= 3 && low[s-3:s] == "://" { // a URL: its scheme and path too
			for s -= 3; s > 0 && isSchemeByte(low[s-1]); s-- {
			}
			for e < len(low) && low[e] > ' ' && strings.IndexByte("<>\"'", low[e]) < 0 {
				e++
			}
		}
		blank(s, e)
	}
	return string(b)
}

func isHostByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.'
}

func isSchemeByte(c byte) bool { return 'a' <= c && c <= 'z' || c == '+' || c == '-' || c == '.' }

func textHeader(h mail.Header) map[string][]string { return map[string][]string(h) }

// headerIndicators returns the sender, Reply-To and Return-Path addresses,
// the sender's domain, and the addresses of the Received hops.
func headerIndicators(h mail.Header) []drone.TypedValue {
	var out []drone.TypedValue
	addr := func(field, tag string) {
		list, err := h.AddressList(field)
		if err != nil {
			return
		}
		for _, a := range list {
			out = append(out, drone.TypedValue{Type: ioc.Email, Value: a.Address, Tags: []string{tag}})
			if tag == "sender" {
				if at := strings.LastIndex(a.Address, "@"); at > 0 {
					out = append(out, drone.TypedValue{Type: ioc.Domain, Value: a.Address[at+1:], Tags: []string{"sender-domain"}})
				}
			}
		}
	}
	addr("From", "sender")
	addr("Reply-To", "reply-to")
	addr("Return-Path", "return-path")
	seen := map[netip.Addr]bool{}
	for _, rcv := range h["Received"] {
		for _, ip := range receivedIPs(rcv) {
			if !seen[ip] && !ip.IsLoopback() && !ip.IsUnspecified() {
				seen[ip] = true
				out = append(out, drone.TypedValue{Type: ioc.IP, Value: ip.String(), Tags: []string{"received"}})
			}
		}
	}
	return out
}

var (
	bracketed = regexp.MustCompile(`[\[(](?:IPv6:)?([0-9A-Fa-f:.]+)[\])]`)
	dottedIP  = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
)

// receivedIPs returns the addresses a Received header names, in brackets
// ("from mx.example ([203.0.113.9])") or bare.
func receivedIPs(v string) []netip.Addr {
	var out []netip.Addr
	cands := dottedIP.FindAllString(v, -1)
	for _, m := range bracketed.FindAllStringSubmatch(v, -1) {
		cands = append(cands, m[1])
	}
	for _, c := range cands {
		if ip, err := netip.ParseAddr(c); err == nil {
			out = append(out, ip.Unmap())
		}
	}
	return out
}

// walker collects the text, links and files of a MIME tree.
type walker struct {
	text     []string
	files    []Attachment
	attached *mail.Message // the first message/rfc822 part
	parts    int
	err      error
}

func (w *walker) walk(h map[string][]string, body io.Reader, depth int) {
	if w.err != nil {
		return
	}
	w.parts++
	if depth > maxDepth || w.parts > maxParts {
		w.err = errors.New("the message nests too many parts")
		return
	}
	get := func(k string) string {
		if v := h[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	ctype, params, err := mime.ParseMediaType(get("Content-Type"))
	if err != nil {
		ctype = "text/plain"
	}
	// A reported message is hostile input: a Content-Disposition that does
	// not parse gives no file name, and the part is still read as an
	// attachment when the header says so.
	_, dparams, _ := mime.ParseMediaType(get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	switch {
	case strings.HasPrefix(ctype, "multipart/"):
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					w.err = fmt.Errorf("reading a MIME part: %w", err)
				}
				return
			}
			w.walk(p.Header, p, depth+1)
		}
	case ctype == "message/rfc822" && w.attached == nil:
		inner, err := mail.ReadMessage(decoded(get("Content-Transfer-Encoding"), body))
		if err != nil {
			w.err = fmt.Errorf("reading the attached message: %w", err)
			return
		}
		w.attached = inner
	case name != "" || strings.HasPrefix(get("Content-Disposition"), "attachment"):
		w.file(name, decoded(get("Content-Transfer-Encoding"), body))
	case ctype == "text/plain":
		b, err := io.ReadAll(io.LimitReader(decoded(get("Content-Transfer-Encoding"), body), 4<<20))
		if err != nil {
			w.err = fmt.Errorf("reading a text part: %w", err)
			return
		}
		w.text = append(w.text, string(b))
	case ctype == "text/html":
		t, err := htmlText(decoded(get("Content-Transfer-Encoding"), body))
		if err != nil {
			w.err = fmt.Errorf("reading an HTML part: %w", err)
			return
		}
		w.text = append(w.text, t)
	}
}

func (w *walker) file(name string, r io.Reader) {
	s, m := sha256.New(), md5.New() //nolint:gosec // an indicator, not a protection
	n, err := io.Copy(io.MultiWriter(s, m), r)
	if err != nil {
		w.err = fmt.Errorf("reading attachment %s: %w", name, err)
		return
	}
	w.files = append(w.files, Attachment{Name: name, Size: int(n), SHA256: hex.EncodeToString(s.Sum(nil)), MD5: hex.EncodeToString(m.Sum(nil))})
}

// decoded undoes a part's transfer encoding. multipart.Reader already
// undoes quoted-printable in parts; a top-level body still has it.
func decoded(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &spaceless{r: r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// spaceless drops the line breaks of base64 text, which the decoder
// would otherwise refuse.
type spaceless struct{ r io.Reader }

func (s *spaceless) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// htmlText returns an HTML body's text and, one a line, its links: a
// phishing link often hides behind innocent words. The error is the
// reader's, such as a broken base64 body.
func htmlText(r io.Reader) (string, error) {
	z := html.NewTokenizer(io.LimitReader(r, 4<<20))
	var text, links []string
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return "", err
			}
			return strings.Join(append(text, links...), "\n"), nil
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) == "script" || string(name) == "style" {
				skip++
			}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == "href" || string(k) == "src" || string(k) == "action" {
					links = append(links, string(v))
				}
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); (string(name) == "script" || string(name) == "style") && skip > 0 {
				skip--
			}
		case html.TextToken:
			if skip == 0 {
				if t := strings.TrimSpace(string(z.Text())); t != "" {
					text = append(text, t)
				}
			}
		}
	}
}
