package mailbox

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
)

// Config is the phishing-report mailbox (notify.inbound in the file): an SMTP listener that
// accepts reported messages for a few addresses and relays nothing.
type Config struct {
	// Listen is HOST:PORT. Empty (the default) leaves the mailbox off.
	Listen string `yaml:"listen"`
	// Hostname is the name the server greets with. Defaults to "drone".
	Hostname string `yaml:"hostname"`
	// Addresses are the only recipients accepted, such as
	// phishing@example.org. Required when the mailbox is on.
	Addresses []string `yaml:"addresses"`
	// Category and SubContext describe the incident a new report opens.
	// Default to CAT1 and Phishing.
	Category   string `yaml:"category"`
	SubContext string `yaml:"subcontext"`
	// Severity of a new report's incident. Defaults to LOW.
	Severity string `yaml:"severity"`
	// TLP of a new report's incident. Defaults to AMBER.
	TLP string `yaml:"tlp"`
	// Username and Password, when set, require AUTH before MAIL.
	// SMTP_INBOUND_PASSWORD overrides the password.
	Username string `yaml:"username"`
	Password string `yaml:"password" env:"SMTP_INBOUND_PASSWORD"`
	// Senders, when set, are the only senders accepted: addresses or
	// "@domain". Defaults to anyone.
	Senders []string `yaml:"senders"`
	// MaxBytes bounds a message. Defaults to 10 MiB.
	MaxBytes int `yaml:"max_bytes"`
	// TLSCert and TLSKey, PEM files, enable STARTTLS. Defaults to none.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// AllowInsecureAuth permits AUTH without TLS (a listener on loopback
	// only). Defaults to false.
	AllowInsecureAuth bool `yaml:"allow_insecure_auth"`
	// Store is the directory the original messages are kept in. Defaults to
	// "mail" beside the database.
	Store string `yaml:"store"`
}

// Enabled reports whether the mailbox is configured.
func (c Config) Enabled() bool { return c.Listen != "" }

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.Hostname == "" {
		c.Hostname = "drone"
	}
	if c.Category == "" {
		c.Category = "CAT1"
		if c.SubContext == "" {
			c.SubContext = "Phishing"
		}
	}
	if c.Severity == "" {
		c.Severity = "LOW"
	}
	if c.TLP == "" {
		c.TLP = "AMBER"
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 10 << 20
	}
	return c
}

// Validate reports every problem of an enabled mailbox, one a line.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("notify.inbound.listen %q must be HOST:PORT", c.Listen))
	}
	if len(c.Addresses) == 0 {
		errs = append(errs, errors.New("notify.inbound.addresses must list the mailbox's addresses, such as phishing@example.org"))
	}
	for _, a := range c.Addresses {
		if _, err := mail.ParseAddress(a); err != nil {
			errs = append(errs, fmt.Errorf("notify.inbound.addresses: %q is not an address", a))
		}
	}
	if (c.Username == "") != (c.Password == "") {
		errs = append(errs, errors.New("notify.inbound.username and password go together (set SMTP_INBOUND_PASSWORD)"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("notify.inbound.tls_cert and tls_key go together"))
	}
	if c.MaxBytes < 0 {
		errs = append(errs, errors.New("notify.inbound.max_bytes must not be negative"))
	}
	return errors.Join(errs...)
}
