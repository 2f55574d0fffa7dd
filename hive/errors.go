package hive

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors of the client; test them with errors.Is.
var (
	// ErrInvalidInput marks an input the client refused before sending it.
	ErrInvalidInput = errors.New("hive: invalid input")
	// ErrRateLimited marks a request that the client-side limit could not
	// admit before its context ended.
	ErrRateLimited = errors.New("hive: rate limited")
)

// APIError is an HTTP error answer from TheHive.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Type is TheHive's error type, such as NotFoundError or CreateError.
	Type string
	// Message is TheHive's message.
	Message string
	// Method and Path name the request, without host or query.
	Method, Path string
	// RetryAfter is the wait the server asked for (Retry-After), if any.
	RetryAfter time.Duration
}

// Error says which request failed and what TheHive answered.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hive: %s %s: %d", e.Method, e.Path, e.Status)
	if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

func asAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

// IsNotFound reports whether err is TheHive's 404.
func IsNotFound(err error) bool {
	ae := asAPIError(err)
	return ae != nil && ae.Status == http.StatusNotFound
}

// IsAuth reports whether TheHive refused the key (401) or the access (403).
func IsAuth(err error) bool {
	ae := asAPIError(err)
	return ae != nil && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden)
}

// IsBadRequest reports whether TheHive refused the input (400).
func IsBadRequest(err error) bool {
	ae := asAPIError(err)
	return ae != nil && ae.Status == http.StatusBadRequest
}

// IsRateLimited reports whether TheHive answered 429 or the client-side
// limit gave up waiting.
func IsRateLimited(err error) bool {
	ae := asAPIError(err)
	return (ae != nil && ae.Status == http.StatusTooManyRequests) || errors.Is(err, ErrRateLimited)
}

// Retryable reports whether sending the same request again later may
// succeed: true for 5xx, 408 and 429 answers, timeouts, rate limits,
// requests whose context ended, and connections that failed or dropped;
// false for other 4xx answers, TLS failures, invalid input and
// undecodable answers.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if ae := asAPIError(err); ae != nil {
		return ae.Status >= 500 || ae.Status == http.StatusTooManyRequests || ae.Status == http.StatusRequestTimeout
	}
	switch {
	case errors.Is(err, ErrInvalidInput):
		return false
	case errors.Is(err, ErrRateLimited), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return true
	}
	var te *transportError
	if errors.As(err, &te) {
		return te.retryable
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// transportError is a request that got no HTTP answer.
type transportError struct {
	method, path string
	hint         string
	retryable    bool
	err          error
}

func (e *transportError) Error() string {
	msg := e.err.Error()
	var ue *url.Error
	if errors.As(e.err, &ue) {
		msg = ue.Err.Error() // url.Error repeats the full URL
	}
	if e.hint != "" {
		return fmt.Sprintf("hive: %s %s: %s: %s", e.method, e.path, e.hint, msg)
	}
	return fmt.Sprintf("hive: %s %s: %s", e.method, e.path, msg)
}

func (e *transportError) Unwrap() error { return e.err }

func newTransportError(method, path string, err error) error {
	te := &transportError{method: method, path: path, err: err, retryable: true}
	switch {
	case isTLSVerification(err):
		te.hint = "TheHive's TLS certificate is not trusted (set hive.ca_file to the CA that signed it)"
		te.retryable = false
	case isTLSHandshake(err):
		te.hint = "TLS handshake with TheHive failed (check the scheme and port of hive.url)"
		te.retryable = false
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		te.hint = "TheHive did not answer in time"
	case isRefused(err):
		te.hint = "cannot reach TheHive (check hive.url)"
	}
	return te
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isRefused(err error) bool {
	var oe *net.OpError
	var de *net.DNSError
	return errors.As(err, &de) || (errors.As(err, &oe) && oe.Op == "dial")
}

func isTLSVerification(err error) bool {
	var (
		cve *tls.CertificateVerificationError
		uae x509.UnknownAuthorityError
		he  x509.HostnameError
		cie x509.CertificateInvalidError
	)
	return errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &he) || errors.As(err, &cie)
}

func isTLSHandshake(err error) bool {
	var rhe tls.RecordHeaderError
	var ae tls.AlertError
	return errors.As(err, &rhe) || errors.As(err, &ae) ||
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// parseRetryAfter reads Retry-After in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
