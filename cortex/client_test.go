package cortex_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/cortex"
	"github.com/ttp0/drone/cortex/cortextest"
)

func client(t *testing.T, srv *cortextest.Server, timeout time.Duration) *cortex.Client {
	t.Helper()
	c, err := cortex.New(cortex.Config{URL: srv.URL(), APIKey: srv.Key(), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSlowCortexIsRetryable: an answer later than the timeout is a
// failure that may pass, not a refusal.
func TestSlowCortexIsRetryable(t *testing.T) {
	t.Parallel()
	srv := cortextest.New(t, cortextest.Options{Analyzers: standIns(abuse)})
	srv.Latency(2 * time.Second)
	_, err := client(t, srv, 100*time.Millisecond).Analyzers(context.Background())
	if err == nil || !cortex.Retryable(err) {
		t.Errorf("slow answer: %v, want a retryable error", err)
	}
}

// TestClientErrors checks what each Cortex answer means.
func TestClientErrors(t *testing.T) {
	t.Parallel()
	srv := cortextest.New(t, cortextest.Options{Analyzers: standIns(abuse)})
	c := client(t, srv, 5*time.Second)
	ctx := context.Background()

	srv.FailNext("", 1, http.StatusTooManyRequests)
	_, err := c.Analyzers(ctx)
	var ae *cortex.APIError
	if !errors.As(err, &ae) || ae.Status != 429 || ae.RetryAfter != time.Second || ae.Type != "RateLimitExceeded" || !cortex.Retryable(err) {
		t.Errorf("429: %#v", err)
	}
	srv.FailNext("", 1, http.StatusBadGateway)
	if _, err := c.Analyzers(ctx); !cortex.Retryable(err) {
		t.Errorf("502 must be retryable: %v", err)
	}
	if _, err := c.Analyzer(ctx, "Nope_1_0"); !errors.Is(err, cortex.ErrNoAnalyzer) || cortex.Retryable(err) ||
		!strings.Contains(err.Error(), "enabled: AbuseIPDB_1_0") {
		t.Errorf("unknown analyzer: %v", err)
	}
	id := srv.AnalyzerID(abuse.Name)
	_, err = c.Run(ctx, id, cortex.RunInput{Data: "x", DataType: "hash", TLP: 2, PAP: 2})
	if !errors.As(err, &ae) || ae.Status != 400 || cortex.Retryable(err) {
		t.Errorf("a data type the analyzer does not take: %v", err)
	}
	bad, err := cortex.New(cortex.Config{URL: srv.URL(), APIKey: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Analyzers(ctx); !errors.As(err, &ae) || ae.Status != 401 || cortex.Retryable(err) {
		t.Errorf("bad key: %v", err)
	}
}

// TestConfigValidate reports every problem of a section at once.
func TestConfigValidate(t *testing.T) {
	t.Parallel()
	err := cortex.Config{URL: "ftp://user:pw@cortex", EnrichPAP: "PINK", Analyzers: []cortex.Analyzer{
		{Name: "A", DataTypes: []string{"ip"}, Reach: "sometimes", MaxTLP: "BEIGE"}, {Name: "A"}}}.Validate()
	for _, want := range []string{"cortex.url: scheme must be http or https", "cortex.api_key: required",
		`cortex.enrich_pap: "PINK"`, `cortex.analyzers[0].reach: "sometimes"`, `cortex.analyzers[0].max_tlp: "BEIGE"`,
		"cortex.analyzers[1].name: A is listed twice", "cortex.analyzers[1].data_types: required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
	if err := (cortex.Config{}).Validate(); err != nil {
		t.Errorf("a disabled section is valid: %v", err)
	}
}
