// Package httpapi holds what drone's clients of other systems' HTTP APIs
// (TheHive, MISP, Cortex, Jira, ServiceNow) check and build the same way:
// the configured base URL, and the TLS transport of verify_tls and
// ca_file.
package httpapi

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
)

// CheckURL checks a configured base URL: http or https, a host, and no
// credentials, query or fragment. use names the settings that carry the
// credentials instead ("api_key"). A parse error does not repeat the URL,
// in case a key was pasted into it.
func CheckURL(raw, use string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("not a URL: %v", RedactURLError(err))
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("scheme must be http or https, not %q", u.Scheme)
	case u.Host == "":
		return errors.New("no host")
	case u.User != nil:
		return fmt.Errorf("must not carry credentials; use %s", use)
	case u.RawQuery != "" || u.Fragment != "":
		return errors.New("must not carry a query or a fragment")
	}
	return nil
}

// RedactURLError drops the URL itself from a parse error, in case a key
// was pasted into it.
func RedactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// LoadCA reads a PEM file into a pool holding the system roots as well.
func LoadCA(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// Transport returns a transport speaking TLS 1.2 or later that verifies
// the server unless verify is false (the operator said so), trusting
// caFile's certificates besides the system's when caFile is set. section
// names the configuration section in errors ("hive").
func Transport(section string, verify bool, caFile string) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if !verify {
		tc.InsecureSkipVerify = true // verify_tls: false
	}
	if caFile != "" {
		pool, err := LoadCA(caFile)
		if err != nil {
			return nil, fmt.Errorf("%s.ca_file: %w", section, err)
		}
		tc.RootCAs = pool
	}
	tr.TLSClientConfig = tc
	return tr, nil
}
