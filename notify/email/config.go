// Package email is drone's e-mail medium: an SMTP client that sends the
// notifications (STARTTLS or implicit TLS, AUTH PLAIN or LOGIN, a result per
// recipient, a pool of sessions paced to the relay's rate), the messages it
// sends (multipart plain text and HTML, threaded per incident). The
// phishing-report mailbox, which receives, is an input adapter of its own
// (bot/mailbox).
package email

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
)

// TLS modes of the outbound connection.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which the server must offer
	TLSImplicit = "implicit" // TLS from the first byte (SMTPS, port 465)
	TLSNone     = "none"     // no TLS: only for a relay on the same host or a test
)

// Config is the outbound SMTP relay drone sends notifications through.
type Config struct {
	// Host is the relay's host name. Empty (the default) leaves e-mail off.
	Host string `yaml:"host"`
	// Port defaults to 587, or 465 with tls: implicit.
	Port int `yaml:"port"`
	// TLS is starttls, implicit or none. Defaults to starttls, which is
	// required: a relay that does not offer it is refused.
	TLS string `yaml:"tls"`
	// CAFile is a PEM file of the certificates that sign the relay's, for a
	// private CA. Defaults to the system's roots.
	CAFile string `yaml:"ca_file"`
	// Username and Password authenticate with AUTH when Username is set.
	// SMTP_USERNAME and SMTP_PASSWORD override them. Defaults to no AUTH.
	Username string `yaml:"username" env:"SMTP_USERNAME"`
	Password string `yaml:"password" env:"SMTP_PASSWORD"`
	// Auth is plain or login. Defaults to plain when the relay offers it,
	// else login.
	Auth string `yaml:"auth"`
	// From is the sender, "Name <address>". Required when e-mail is on.
	From string `yaml:"from"`
	// Domain is the right-hand side of the Message-IDs drone makes.
	// Defaults to From's domain.
	Domain string `yaml:"domain"`
	// Helo is the name drone gives in EHLO. Defaults to "localhost".
	Helo string `yaml:"helo"`
	// Timeout bounds the connection and each SMTP command. Defaults to 30s.
	Timeout time.Duration `yaml:"timeout"`
	// Rate is how many messages a second the relay accepts (most providers
	// publish one). Defaults to 0: no pacing.
	Rate float64 `yaml:"rate"`
	// Connections is how many SMTP sessions may be open at once. Defaults to 4.
	Connections int `yaml:"connections"`
}

// Enabled reports whether outbound e-mail is configured.
func (c Config) Enabled() bool { return c.Host != "" }

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Port == 0 {
		c.Port = 587
		if c.TLS == TLSImplicit {
			c.Port = 465
		}
	}
	if c.Helo == "" {
		c.Helo = "localhost"
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Connections <= 0 {
		c.Connections = 4
	}
	if c.Domain == "" {
		if a, err := mail.ParseAddress(c.From); err == nil {
			c.Domain = a.Address[strings.LastIndex(a.Address, "@")+1:]
		}
	}
	return c
}

// Addr returns HOST:PORT.
func (c Config) Addr() string {
	return net.JoinHostPort(c.Host, fmt.Sprint(c.WithDefaults().Port))
}

// Validate reports every problem of an enabled configuration, one a line.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	switch c.TLS {
	case "", TLSStartTLS, TLSImplicit, TLSNone:
	default:
		errs = append(errs, fmt.Errorf("notify.email.tls %q must be starttls, implicit or none", c.TLS))
	}
	switch strings.ToLower(c.Auth) {
	case "", "plain", "login":
	default:
		errs = append(errs, fmt.Errorf("notify.email.auth %q must be plain or login", c.Auth))
	}
	if c.Username != "" && c.Password == "" {
		errs = append(errs, errors.New("notify.email.password is required with a username (set SMTP_PASSWORD)"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("notify.email.port %d must be from 1 to 65535", c.Port))
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("notify.email.from %q must be an address such as \"drone <drone@example.org>\"", c.From))
	}
	if c.Rate < 0 || c.Connections < 0 || c.Timeout < 0 {
		errs = append(errs, errors.New("notify.email.rate, connections and timeout must not be negative"))
	}
	return errors.Join(errs...)
}
