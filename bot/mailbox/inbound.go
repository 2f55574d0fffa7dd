package mailbox

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/ttp0/drone/drone"
)

// Mailbox is the phishing-report mailbox: an SMTP server that accepts
// messages for its configured addresses only (it relays nothing), turns each
// into a new incident or adds it to the incident its subject names
// ("[INC-42]"), and keeps the original message. Each original kept is an
// attachment entry on the incident's timeline, written with the jobs that
// integrations plan on it (TheHive attaches it to the case).
type Mailbox struct {
	cfg Config
	svc *drone.Service
	dir string
	log *slog.Logger
	tls *tls.Config
}

// NewMailbox returns the mailbox of cfg, keeping originals under dir.
func NewMailbox(cfg Config, svc *drone.Service, dir string, log *slog.Logger) (*Mailbox, error) {
	m := &Mailbox{cfg: cfg.WithDefaults(), svc: svc, dir: dir, log: log}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("loading notify.inbound.tls_cert: %w", err)
		}
		m.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return m, nil
}

// Run listens on the configured address and serves until ctx is done.
func (m *Mailbox) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", m.cfg.Listen)
	if err != nil {
		return fmt.Errorf("phishing mailbox: listening on %s: %w", m.cfg.Listen, err)
	}
	return m.Serve(ctx, ln)
}

// Serve serves SMTP on ln until ctx is done.
func (m *Mailbox) Serve(ctx context.Context, ln net.Listener) error {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &inSession{m: m, ctx: ctx, remote: c.Conn().RemoteAddr().String()}, nil
	}))
	srv.Domain = m.cfg.Hostname
	srv.MaxMessageBytes = int64(m.cfg.MaxBytes)
	srv.MaxRecipients = len(m.cfg.Addresses)
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.TLSConfig = m.tls
	srv.AllowInsecureAuth = m.cfg.AllowInsecureAuth
	srv.ErrorLog = log.New(io.Discard, "", 0)
	m.log.Info("phishing mailbox listening", "addr", ln.Addr().String(), "addresses", m.cfg.Addresses)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shut); err != nil {
			srv.Close()
		}
		<-done
		return ctx.Err()
	case err := <-done:
		return fmt.Errorf("phishing mailbox: %w", err)
	}
}

// inSession is one SMTP session of the mailbox.
type inSession struct {
	m      *Mailbox
	ctx    context.Context
	remote string
	authed bool
	from   string
}

var (
	errNotHere = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
		Message: "relaying denied: this server only takes reports for its own addresses"}
	errSender = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
		Message: "this sender may not report here"}
	errFailed = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "the report could not be recorded; try again later"}
)

func (s *inSession) AuthMechanisms() []string {
	if s.m.cfg.Username == "" {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (s *inSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != s.m.cfg.Username || pass != s.m.cfg.Password {
			s.m.log.Warn("phishing mailbox: AUTH failed", "remote", s.remote)
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}
	return AuthServer(mech, check)
}

func (s *inSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.m.cfg.Username != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	if !s.m.senderAllowed(from) {
		s.m.log.Warn("phishing mailbox: sender refused", "from", from, "remote", s.remote)
		return errSender
	}
	s.from = from
	return nil
}

func (s *inSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !slices.ContainsFunc(s.m.cfg.Addresses, func(a string) bool { return sameAddress(a, to) }) {
		s.m.log.Warn("phishing mailbox: relay attempt refused", "to", to, "remote", s.remote)
		return errNotHere
	}
	return nil
}

func (s *inSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	inc, res, err := s.m.Handle(s.ctx, s.from, raw)
	if err != nil {
		s.m.log.Error("phishing mailbox: report not recorded", "from", s.from, "err", err)
		switch drone.ErrorCode(err) {
		case drone.EINVALID, drone.EFORBIDDEN, drone.ENOTFOUND, drone.ECONFLICT:
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: drone.ErrorMessage(err)}
		}
		return errFailed
	}
	s.m.log.Info("phishing report recorded", "incident", inc.Ref(), "added", len(res.Added), "from", s.from)
	return nil
}

func (s *inSession) Reset()        { s.from = "" }
func (s *inSession) Logout() error { return nil }

func (m *Mailbox) senderAllowed(from string) bool {
	if len(m.cfg.Senders) == 0 {
		return true
	}
	from = strings.ToLower(from)
	for _, a := range m.cfg.Senders {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == from || (strings.HasPrefix(a, "@") && strings.HasSuffix(from, a)) {
			return true
		}
	}
	return false
}

func sameAddress(configured, got string) bool {
	a := configured
	if parsed, err := mail.ParseAddress(configured); err == nil {
		a = parsed.Address
	}
	return strings.EqualFold(a, got)
}

// Handle records one reported message: a new incident, or indicators added
// to the incident its subject names. A report delivered twice (a client
// that did not see the reply) makes one incident: its Message-ID is the
// declaration's key.
func (m *Mailbox) Handle(ctx context.Context, envelopeFrom string, raw []byte) (*drone.Incident, drone.AddResult, error) {
	rep, err := ParseReport(raw)
	if err != nil {
		return nil, drone.AddResult{}, drone.Errorf(drone.EINVALID, "%v", err)
	}
	sum := sha256.Sum256(raw)
	digest := hex.EncodeToString(sum[:])
	actor := drone.Actor{Platform: "email", ID: strings.ToLower(envelopeFrom)}
	if rep.Reporter != nil {
		actor.ID, actor.Name = strings.ToLower(rep.Reporter.Address), rep.Reporter.Name
	}
	origin := drone.Origin{Channel: "email", Ref: orText(rep.MessageID, "sha256:"+digest)}
	in := drone.ObservableInput{Text: rep.Text, Typed: rep.Typed, Tags: []string{"phishing-report"}}
	var inc *drone.Incident
	var res drone.AddResult
	if rep.Ref != 0 {
		if res, err = m.svc.AddObservables(ctx, actor, origin, rep.Ref, in); err == nil {
			inc, err = m.svc.Incident(ctx, rep.Ref)
		}
	} else {
		inc, res, err = m.svc.Declare(ctx, actor, origin, drone.DeclareInput{
			Category: m.cfg.Category, SubContext: m.cfg.SubContext, Severity: m.cfg.Severity, TLP: m.cfg.TLP,
			Overview: overview(rep, actor), Observables: in, Key: "email:" + origin.Ref})
	}
	if err != nil {
		return nil, drone.AddResult{}, err
	}
	if err := m.keep(ctx, inc, rep, raw, digest); err != nil {
		return nil, drone.AddResult{}, err
	}
	return inc, res, nil
}

func overview(rep *Report, a drone.Actor) string {
	subject := orText(rep.SuspectSubject, rep.Subject)
	from := orText(rep.SuspectFrom, "an unknown sender")
	return fmt.Sprintf("%s reported a suspicious message %q from %s", a, subject, from)
}

// keep stores the original under <dir>/INC-n/<sha256>.eml, readable by
// drone alone, and records it on the timeline once, as an attachment entry
// whose data says where the file is. The entry is recorded even when the
// file is already there: a crash between the two, or a report delivered
// again, must still leave the entry that integrations plan on.
func (m *Mailbox) keep(ctx context.Context, inc *drone.Incident, rep *Report, raw []byte, digest string) error {
	dir := filepath.Join(m.dir, inc.Ref())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("storing the reported message: %w", err)
	}
	path := filepath.Join(dir, digest+".eml")
	if abs, err := filepath.Abs(path); err == nil {
		path = abs // the queue's workers may not share the mailbox's working directory
	}
	if err := writeOnce(path, raw); err != nil {
		return fmt.Errorf("storing the reported message: %w", err)
	}
	text := fmt.Sprintf("stored the reported message %q (%d bytes, sha256 %s)", rep.Subject, len(raw), digest)
	actor := drone.Actor{Platform: "email", ID: "mailbox", Name: "phishing mailbox"}
	data := map[string]any{"sha256": digest, "size": len(raw), "message_id": rep.MessageID,
		"name": originalName(rep.Subject), "path": path, "content_type": "message/rfc822"}
	if _, err := m.svc.RecordOnce(ctx, actor, inc.ID, drone.EntryAttachment, "email.original/"+digest, text, data); err != nil {
		return err
	}
	return nil
}

// writeOnce writes a file named by its content's hash, unless it is there:
// through a temporary file, so that a crash leaves no half file under the
// final name.
func writeOnce(path string, raw []byte) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// originalName is the file name people see for a reported message: its
// subject, made safe for a file name, or "reported-message".
func originalName(subject string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(subject) {
		switch {
		case b.Len() >= 100:
		case unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" -_.()[]", r):
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	name := strings.Trim(b.String(), " ._")
	if name == "" {
		name = "reported-message"
	}
	return name + ".eml"
}

func orText(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
