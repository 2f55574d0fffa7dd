package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/time/rate"
)

// idleTimeout is how long an unused session is kept: relays close idle
// sessions after a minute or so, and a fresh one costs only a handshake.
const idleTimeout = 20 * time.Second

// Sender sends messages through one SMTP relay. It keeps up to
// Config.Connections sessions open and reuses them, and paces messages to
// Config.Rate. It is safe for concurrent use.
type Sender struct {
	cfg     Config
	tls     *tls.Config
	limiter *rate.Limiter // nil: no pacing
	slots   chan struct{}

	mu   sync.Mutex
	idle []*session
}

type session struct {
	c    *smtp.Client
	conn net.Conn
	used time.Time
}

// Result is what became of one recipient of a message.
type Result struct {
	Recipient string
	// Err is nil when the relay accepted the message for the recipient; an
	// *smtp.SMTPError when it refused (Temporary for a 4xx), or the failure
	// of the session.
	Err error
}

// NewSender returns a Sender for the relay cfg names. tlsConfig, when not
// nil, replaces the TLS settings built from cfg (tests trust their own CA).
func NewSender(cfg Config, tlsConfig *tls.Config) (*Sender, error) {
	cfg = cfg.WithDefaults()
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("reading notify.email.ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("notify.email.ca_file %s holds no PEM certificate", cfg.CAFile)
			}
			tlsConfig.RootCAs = pool
		}
	}
	s := &Sender{cfg: cfg, tls: tlsConfig, slots: make(chan struct{}, cfg.Connections)}
	if cfg.Rate > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(cfg.Rate), 1)
	}
	return s, nil
}

// Send sends msg (a complete RFC 5322 message) from the envelope sender to
// each recipient, in one SMTP transaction, and returns a result per
// recipient: a recipient the relay refuses does not fail the others.
func (s *Sender) Send(ctx context.Context, from string, to []string, msg []byte) []Result {
	if s.limiter != nil {
		if err := s.limiter.Wait(ctx); err != nil {
			return failAll(to, err)
		}
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return failAll(to, ctx.Err())
	}
	defer func() { <-s.slots }()
	sess, err := s.session(ctx)
	if err != nil {
		return failAll(to, err)
	}
	// The client takes no context: closing the connection is what ends a
	// command blocked on a relay that stopped answering.
	stop := context.AfterFunc(ctx, func() { sess.conn.Close() })
	res, healthy := s.transact(sess.c, from, to, msg)
	if !stop() {
		healthy = false
		for i := range res {
			if res[i].Err != nil {
				res[i].Err = errors.Join(ctx.Err(), res[i].Err)
			}
		}
	}
	if healthy {
		s.release(sess)
	} else {
		sess.c.Close()
	}
	return res
}

// transact runs MAIL, RCPT and DATA on a session. healthy is false when the
// session cannot be reused.
func (s *Sender) transact(c *smtp.Client, from string, to []string, msg []byte) ([]Result, bool) {
	if err := c.Mail(from, nil); err != nil {
		return failAll(to, s.wrap("MAIL FROM", err)), isSMTPError(err) && c.Reset() == nil
	}
	res := make([]Result, len(to))
	accepted := 0
	for i, rcpt := range to {
		res[i].Recipient = rcpt
		if err := c.Rcpt(rcpt, nil); err != nil {
			if !isSMTPError(err) {
				return failAll(to, s.wrap("RCPT TO", err)), false
			}
			res[i].Err = s.wrap("RCPT TO <"+rcpt+">", err)
			continue
		}
		accepted++
	}
	if accepted == 0 {
		return res, c.Reset() == nil
	}
	err := s.data(c, msg)
	for i := range res {
		if res[i].Err == nil && err != nil {
			res[i].Err = err
		}
	}
	return res, err == nil || (isSMTPError(err) && c.Reset() == nil)
}

func (s *Sender) data(c *smtp.Client, msg []byte) error {
	w, err := c.Data()
	if err != nil {
		return s.wrap("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return s.wrap("writing the message", err)
	}
	if err := w.Close(); err != nil {
		return s.wrap("end of DATA", err)
	}
	return nil
}

// session returns an idle session still fresh, or a new one.
func (s *Sender) session(ctx context.Context) (*session, error) {
	for {
		s.mu.Lock()
		n := len(s.idle)
		if n == 0 {
			s.mu.Unlock()
			return s.dial(ctx)
		}
		sess := s.idle[n-1]
		s.idle = s.idle[:n-1]
		s.mu.Unlock()
		if time.Since(sess.used) < idleTimeout {
			return sess, nil
		}
		sess.c.Close()
	}
}

func (s *Sender) release(sess *session) {
	sess.used = time.Now()
	s.mu.Lock()
	s.idle = append(s.idle, sess)
	s.mu.Unlock()
}

// Close ends the idle sessions.
func (s *Sender) Close() error {
	s.mu.Lock()
	idle := s.idle
	s.idle = nil
	s.mu.Unlock()
	var errs []error
	for _, sess := range idle {
		if err := sess.c.Quit(); err != nil {
			errs = append(errs, sess.c.Close())
		}
	}
	return errors.Join(errs...)
}

// dial opens a session: TCP or TLS, the greeting, STARTTLS when required,
// and AUTH when a user name is configured.
func (s *Sender) dial(ctx context.Context) (*session, error) {
	d := &net.Dialer{Timeout: s.cfg.Timeout}
	addr := s.cfg.Addr()
	var conn net.Conn
	var err error
	if s.cfg.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: d, Config: s.tls}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("connecting to SMTP relay %s: %w", addr, err)
	}
	var c *smtp.Client
	if s.cfg.TLS == TLSStartTLS {
		conn.SetDeadline(time.Now().Add(s.cfg.Timeout))
		c, err = smtp.NewClientStartTLS(conn, s.tls)
		if err != nil {
			conn.Close()
			if !isSMTPError(err) && strings.Contains(err.Error(), "STARTTLS") {
				err = ErrNoStartTLS
			}
			return nil, s.wrap("STARTTLS", err)
		}
		conn.SetDeadline(time.Time{})
	} else {
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout = s.cfg.Timeout
	c.SubmissionTimeout = 2 * s.cfg.Timeout
	if err := c.Hello(s.cfg.Helo); err != nil {
		c.Close()
		return nil, s.wrap("EHLO", err)
	}
	if s.cfg.Username != "" {
		if err := c.Auth(s.auth(c)); err != nil {
			c.Close()
			return nil, s.wrap("AUTH as "+s.cfg.Username, err)
		}
	}
	return &session{c: c, conn: conn, used: time.Now()}, nil
}

// auth picks the mechanism: the configured one, else PLAIN when offered,
// else LOGIN (older Exchange relays offer only LOGIN).
func (s *Sender) auth(c *smtp.Client) sasl.Client {
	mech := strings.ToLower(s.cfg.Auth)
	if mech == "" {
		mech = "plain"
		if !c.SupportsAuth("PLAIN") && c.SupportsAuth("LOGIN") {
			mech = "login"
		}
	}
	if mech == "login" {
		return sasl.NewLoginClient(s.cfg.Username, s.cfg.Password)
	}
	return sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)
}

// wrap names the relay and the step; SMTP errors stay reachable with
// errors.As, and no credential is ever part of the text.
func (s *Sender) wrap(step string, err error) error {
	return fmt.Errorf("SMTP relay %s: %s: %w", s.cfg.Host, step, err)
}

func failAll(to []string, err error) []Result {
	res := make([]Result, len(to))
	for i, r := range to {
		res[i] = Result{Recipient: r, Err: err}
	}
	return res
}

// ErrNoStartTLS is the failure of a relay that does not offer STARTTLS while
// the configuration requires it: retrying cannot help.
var ErrNoStartTLS = errors.New("the relay does not offer STARTTLS, which notify.email.tls: starttls requires " +
	"(set tls: none only for a relay on this host)")

func isSMTPError(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se)
}

// Permanent reports whether retrying err cannot help: the relay answered
// with a 5xx. A 4xx, a timeout or a broken connection is worth retrying.
func Permanent(err error) bool {
	var se *smtp.SMTPError
	return errors.Is(err, ErrNoStartTLS) || errors.As(err, &se) && se.Code >= 500
}
