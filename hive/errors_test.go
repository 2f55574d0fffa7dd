package hive_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/dronetest"
	"github.com/ttp0/drone/hive"
	"github.com/ttp0/drone/hive/hivetest"
)

func asAPI(t *testing.T, err error) *hive.APIError {
	t.Helper()
	var ae *hive.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *APIError", err)
	}
	return ae
}

func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }

func TestTypedErrors(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		tests := []struct {
			name       string
			mod        func(*hive.Config)
			call       func(*hive.Client, string) error
			status     int
			typ, msg   string
			classifier func(error) bool
		}{
			{"bad key", func(c *hive.Config) { c.APIKey = "wrong-key-0123" }, check,
				401, "AuthenticationError", "Authentication failure", hive.IsAuth},
			{"wrong organisation", func(c *hive.Config) { c.Organisation = "elsewhere" }, check,
				403, "AuthorizationError", "not a member of organisation elsewhere", hive.IsAuth},
			{"unknown custom field", nil, func(c *hive.Client, _ string) error {
				in := sampleCase()
				in.CustomFields = map[string]any{"zone": "A"}
				_, err := c.CreateCase(context.Background(), in)
				return err
			}, 404, "NotFoundError", "CustomField zone not found", hive.IsNotFound},
			{"unknown data type", nil, func(c *hive.Client, caseID string) error {
				_, err := c.CreateObservables(context.Background(), caseID, hive.ObservableInput{DataType: "ipv4", Data: []string{"192.0.2.1"}})
				return err
			}, 404, "NotFoundError", "ObservableType ipv4 not found", hive.IsNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := setup(t, api)
				cs, err := b.cli.CreateCase(context.Background(), sampleCase())
				if err != nil {
					t.Fatal(err)
				}
				cli := b.cli
				if tt.mod != nil {
					cfg := b.cfg
					tt.mod(&cfg)
					if cli, err = hive.New(cfg); err != nil {
						t.Fatal(err)
					}
				}
				err = tt.call(cli, cs.ID)
				ae := asAPI(t, err)
				if ae.Status != tt.status || ae.Type != tt.typ || !strings.Contains(ae.Message, tt.msg) {
					t.Errorf("got %d %s %q, want %d %s %q", ae.Status, ae.Type, ae.Message, tt.status, tt.typ, tt.msg)
				}
				if !tt.classifier(err) || hive.Retryable(err) {
					t.Errorf("%v: classifier false or retryable", err)
				}
				if contains(err, b.srv.Key()) || contains(err, "wrong-key-0123") {
					t.Errorf("error shows the key: %v", err)
				}
			})
		}
	})
}

func check(c *hive.Client, _ string) error {
	_, err := c.Check(context.Background())
	return err
}

func TestCheckErrorsNameTheSetting(t *testing.T) {
	b := setup(t, hive.APIv1, func(c *hive.Config) { c.APIKey = "nope" })
	_, err := b.cli.Check(context.Background())
	if !contains(err, "hive.api_key") {
		t.Errorf("bad key: %v", err)
	}
	b = setup(t, hive.APIv1, func(c *hive.Config) { c.Organisation = "elsewhere" })
	_, err = b.cli.Check(context.Background())
	if !contains(err, `organisation "elsewhere"`) {
		t.Errorf("wrong organisation: %v", err)
	}
}

func TestRetryable(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		status    int
		retryable bool
	}{{500, true}, {502, true}, {503, true}, {429, true}, {400, false}, {404, false}, {401, false}} {
		b := setup(t, hive.APIv1)
		b.srv.FailNext(1, tc.status)
		_, err := b.cli.CreateCase(ctx, sampleCase())
		if ae := asAPI(t, err); ae.Status != tc.status {
			t.Errorf("status %d, want %d", ae.Status, tc.status)
		}
		if hive.Retryable(err) != tc.retryable {
			t.Errorf("%d: Retryable = %v, want %v", tc.status, !tc.retryable, tc.retryable)
		}
		if tc.status == 429 && (!hive.IsRateLimited(err) || asAPI(t, err).RetryAfter != time.Second) {
			t.Errorf("429: rate limited %v, retry after %v", hive.IsRateLimited(err), asAPI(t, err).RetryAfter)
		}
	}
	if hive.Retryable(nil) || hive.Retryable(hive.ErrInvalidInput) || hive.Retryable(errors.New("other")) {
		t.Error("nil, invalid input or a plain error called retryable")
	}
}

func TestDroppedResponseAfterCommitIsRetryable(t *testing.T) {
	b := setup(t, hive.APIv1)
	b.srv.DropResponseAfterCommit(1)
	_, err := b.cli.CreateCase(context.Background(), sampleCase("incident-9"))
	if err == nil || !hive.Retryable(err) {
		t.Fatalf("dropped answer: %v, want a retryable error", err)
	}
	// The case was committed: a retry must look it up first.
	found, err := b.cli.FindCasesByTag(context.Background(), "incident-9")
	if err != nil || len(found) != 1 || len(b.srv.Cases()) != 1 {
		t.Errorf("after the drop: found %d (%v), stand-in holds %d", len(found), err, len(b.srv.Cases()))
	}
}

func TestTimeoutIsRetryable(t *testing.T) {
	b := setup(t, hive.APIv1, func(c *hive.Config) { c.Timeout = 50 * time.Millisecond })
	b.srv.Latency(2 * time.Second)
	start := time.Now()
	_, err := b.cli.GetCase(context.Background(), "1")
	if !errors.Is(err, context.DeadlineExceeded) || !hive.Retryable(err) || !contains(err, "did not answer in time") {
		t.Errorf("timeout: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("timeout took %v", d)
	}
}

func TestConnectionRefusedIsRetryable(t *testing.T) {
	b := setup(t, hive.APIv1)
	b.srv.Close()
	_, err := b.cli.GetCase(context.Background(), "1")
	if err == nil || !hive.Retryable(err) || !contains(err, "cannot reach TheHive") {
		t.Errorf("closed server: %v", err)
	}
}

func TestClientRateLimit(t *testing.T) {
	b := setup(t, hive.APIv1, func(c *hive.Config) { c.Rate = ptr(1.0) })
	if _, err := b.cli.GetCase(context.Background(), "~1"); !hive.IsNotFound(err) {
		t.Fatalf("first request: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := b.cli.GetCase(ctx, "~1")
	if !hive.IsRateLimited(err) || !hive.Retryable(err) {
		t.Errorf("second request: %v, want rate limited and retryable", err)
	}
	if n := b.srv.Count("GET /api/v1/case/{id}"); n != 1 {
		t.Errorf("stand-in saw %d requests, want 1", n)
	}
}

func TestInvalidInputIsNotSent(t *testing.T) {
	b := setup(t, hive.APIv1)
	ctx := context.Background()
	errs := []error{}
	_, err := b.cli.CreateCase(ctx, hive.CaseInput{Description: "no title"})
	errs = append(errs, err)
	_, err = b.cli.CreateCase(ctx, hive.CaseInput{Title: "t", Description: "d", Severity: 5})
	errs = append(errs, err)
	_, err = b.cli.CreateCase(ctx, hive.CaseInput{Title: "t", Description: "d", TLP: "PURPLE"})
	errs = append(errs, err)
	_, err = b.cli.CreateObservables(ctx, "~1", hive.ObservableInput{DataType: "ip"})
	errs = append(errs, err)
	errs = append(errs, b.cli.UpdateCase(ctx, "~1", hive.CaseUpdate{}))
	_, err = b.cli.GetCase(ctx, "")
	errs = append(errs, err)
	for i, err := range errs {
		if !errors.Is(err, hive.ErrInvalidInput) || hive.Retryable(err) {
			t.Errorf("%d: %v, want ErrInvalidInput", i, err)
		}
	}
	if reqs := b.srv.Requests(); len(reqs) != 0 {
		t.Errorf("invalid input reached the server: %+v", reqs)
	}
}

// writeCA writes a TLS stand-in's certificate as a PEM file.
func writeCA(t *testing.T, srv *hivetest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTLS(t *testing.T) {
	opts := testOptions()
	opts.TLS = true
	srv := hivetest.New(t, opts)
	base := hive.Config{URL: srv.URL(), APIKey: srv.Key(), Rate: ptr(0.0)}
	if !strings.HasPrefix(srv.URL(), "https://") {
		t.Fatalf("URL %s is not https", srv.URL())
	}
	ca := writeCA(t, srv)
	tests := []struct {
		name   string
		mod    func(*hive.Config)
		wantOK bool
	}{
		{"verify against system roots", func(*hive.Config) {}, false},
		{"ca_file", func(c *hive.Config) { c.CAFile = ca }, true},
		{"verify_tls false", func(c *hive.Config) { c.VerifyTLS = ptr(false) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.mod(&cfg)
			cli, err := hive.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = cli.Check(context.Background())
			if tt.wantOK != (err == nil) {
				t.Fatalf("Check: %v", err)
			}
			if err == nil {
				return
			}
			var uae x509.UnknownAuthorityError
			if !errors.As(err, &uae) || hive.Retryable(err) || !contains(err, "hive.ca_file") || contains(err, srv.Key()) {
				t.Errorf("untrusted certificate: %v", err)
			}
		})
	}
}

func TestHTTPSClientOnHTTPServer(t *testing.T) {
	b := setup(t, hive.APIv1)
	cfg := b.cfg
	cfg.URL = strings.Replace(cfg.URL, "http://", "https://", 1)
	cli, err := hive.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cli.Check(context.Background())
	if err == nil || hive.Retryable(err) || !contains(err, "TLS handshake") {
		t.Errorf("https to an http server: %v", err)
	}
}

func TestKeyNeverLogged(t *testing.T) {
	srv := hivetest.New(t, testOptions())
	logger, logs := dronetest.NewLog(t, slog.LevelDebug)
	cli, err := hive.New(hive.Config{URL: srv.URL(), APIKey: srv.Key(), Rate: ptr(0.0)}, hive.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := cli.Check(ctx); err != nil {
		t.Fatal(err)
	}
	srv.FailNext(1, http.StatusInternalServerError)
	_, err = cli.CreateCase(ctx, sampleCase())
	if err == nil || contains(err, srv.Key()) {
		t.Errorf("error: %v", err)
	}
	out := logs.String()
	if !strings.Contains(out, "/api/v1/user/current") || strings.Contains(out, srv.Key()) {
		t.Errorf("log lacks the request or shows the key:\n%s", out)
	}
}

func TestKeyEchoedByServerIsRedacted(t *testing.T) {
	const key = "s3cret-key-value"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"type":"InternalError","message":"cannot use %s"}`, r.Header.Get("Authorization"))
	}))
	defer echo.Close()
	cli, err := hive.New(hive.Config{URL: echo.URL, APIKey: key, Rate: ptr(0.0)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cli.GetCase(context.Background(), "1")
	if !hive.Retryable(err) || contains(err, key) || !contains(err, "cannot use Bearer [redacted]") {
		t.Errorf("echoed key: %v", err)
	}
}
