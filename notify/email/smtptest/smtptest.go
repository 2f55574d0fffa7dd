// Package smtptest is an SMTP server on loopback that stands in for a mail
// relay in tests and benchmarks: it offers STARTTLS or implicit TLS with a
// certificate it makes, AUTH PLAIN and LOGIN, a relay's limits (sessions at
// once, messages a second, latency), injected refusals, and it records and
// counts every message it accepts.
package smtptest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/time/rate"

	"github.com/ttp0/drone/bot/mailbox"
)

// Options shape the stand-in. The zero value is a plain server that accepts
// everything.
type Options struct {
	// TLS offers STARTTLS; Implicit speaks TLS from the first byte.
	TLS, Implicit bool
	// Username and Password, when set, are required (AUTH PLAIN or LOGIN)
	// before MAIL.
	Username, Password string
	// MaxConns bounds the sessions open at once; one more is refused with
	// 421. 0 is no bound.
	MaxConns int
	// Rate is how many messages a second are accepted (Burst at once); a
	// message beyond is refused with 451. 0 is no bound.
	Rate  float64
	Burst int
	// Delay is how long accepting each message takes, as a real relay's
	// latency.
	Delay time.Duration
	// Rcpt, when set, answers each RCPT TO; an error refuses the recipient.
	Rcpt func(to string) error
	// Data, when set, answers the end of each message before it is
	// recorded; an error refuses it (and it is not recorded).
	Data func(m *Message) error
}

// Message is one message the stand-in accepted.
type Message struct {
	From   string
	To     []string
	Data   []byte
	Header mail.Header
	TLS    bool
	User   string // the authenticated user, if any
	At     time.Time
}

// Server is a running stand-in.
type Server struct {
	opts    Options
	srv     *smtp.Server
	ln      net.Listener
	caPEM   []byte
	pool    *x509.CertPool
	limiter *rate.Limiter

	mu       sync.Mutex
	conns    int
	msgs     []Message
	refused  int // by the limits (sessions, rate)
	accepted chan struct{}
}

// Start starts a stand-in on 127.0.0.1 with a free port.
func Start(opts Options) (*Server, error) {
	s := &Server{opts: opts, accepted: make(chan struct{}, 1)}
	if opts.Rate > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(opts.Rate), max(opts.Burst, 1))
	}
	srv := smtp.NewServer(s)
	srv.Domain = "smtptest.local"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 32 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = !opts.TLS && !opts.Implicit
	if opts.TLS || opts.Implicit {
		cert, err := s.makeCert()
		if err != nil {
			return nil, err
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening: %w", err)
	}
	if opts.Implicit {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	s.srv, s.ln = srv, ln
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	return s, nil
}

// makeCert makes a self-signed certificate for 127.0.0.1 and localhost.
func (s *Server) makeCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("making key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("making certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	s.pool = x509.NewCertPool()
	s.pool.AddCert(leaf)
	s.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// Host returns the listening host, 127.0.0.1.
func (s *Server) Host() string { return s.ln.Addr().(*net.TCPAddr).IP.String() }

// Port returns the listening port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Addr returns HOST:PORT.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// ClientTLS returns a TLS configuration that trusts the stand-in.
func (s *Server) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// CAPEM returns the stand-in's certificate in PEM, for a ca_file.
func (s *Server) CAPEM() []byte { return s.caPEM }

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Messages returns a copy of the accepted messages, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Count returns how many accepted messages went to rcpt.
func (s *Server) Count(rcpt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.msgs {
		for _, to := range m.To {
			if strings.EqualFold(to, rcpt) {
				n++
			}
		}
	}
	return n
}

// Refused returns how many sessions and messages the limits refused.
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// Wait waits until at least n messages were accepted, or ctx is done.
func (s *Server) Wait(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		got := len(s.msgs)
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-s.accepted:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d messages, got %d: %w", n, got, ctx.Err())
		}
	}
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.MaxConns > 0 && s.conns >= s.opts.MaxConns {
		s.refused++
		return nil, &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "too many sessions"}
	}
	s.conns++
	_, isTLS := c.TLSConnectionState()
	return &session{s: s, conn: c, tls: isTLS}, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	tls  bool
	user string
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != ss.s.opts.Username || pass != ss.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.user = user
		return nil
	}
	return mailbox.AuthServer(mech, check)
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.Username != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if f := ss.s.opts.Rcpt; f != nil {
		if err := f(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.limiter != nil && !ss.s.limiter.Allow() {
		ss.s.mu.Lock()
		ss.s.refused++
		ss.s.mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "rate limit exceeded"}
	}
	if d := ss.s.opts.Delay; d > 0 {
		time.Sleep(d)
	}
	m := Message{From: ss.from, To: append([]string(nil), ss.to...), Data: b, TLS: ss.tls, User: ss.user, At: time.Now()}
	if _, ok := ss.conn.TLSConnectionState(); ok {
		m.TLS = true
	}
	if parsed, err := mail.ReadMessage(bytes.NewReader(b)); err == nil {
		m.Header = parsed.Header
	}
	if f := ss.s.opts.Data; f != nil {
		if err := f(&m); err != nil {
			return err
		}
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, m)
	ss.s.mu.Unlock()
	select {
	case ss.s.accepted <- struct{}{}:
	default:
	}
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error {
	ss.s.mu.Lock()
	ss.s.conns--
	ss.s.mu.Unlock()
	return nil
}

// Temporary returns a 4xx refusal with the given text, for Rcpt and Data.
func Temporary(text string) error {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: text}
}

// Permanent returns a 5xx refusal with the given text, for Rcpt and Data.
func Permanent(text string) error {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: text}
}

// ErrClosed is what a Data hook may return for a message it drops, as a
// relay whose client went away before the reply.
var ErrClosed = errors.New("connection closed before the reply")
