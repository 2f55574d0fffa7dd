package cortex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ttp0/drone/httpapi"
)

// maxResponse bounds the body the client reads from one answer; full
// reports of some analyzers are large.
const maxResponse = 16 << 20

// Client talks to one Cortex organisation (the API key's). It is safe for
// concurrent use.
type Client struct {
	base    string
	key     string
	timeout time.Duration
	http    *http.Client
	log     *slog.Logger
	now     func() time.Time
}

// Option changes how New builds a Client.
type Option func(*Client)

// WithTransport makes the client send its requests through rt, such as a
// test transport. The TLS settings of the configuration are then rt's.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *Client) { c.http = &http.Client{Transport: rt} }
}

// WithLogger makes the client log each request (method, path, status and
// duration, never a header) at debug level to l.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) { c.log = l }
}

// New returns a client for cfg, which must be enabled and valid.
func New(cfg Config, opts ...Option) (*Client, error) {
	if !cfg.Enabled() {
		return nil, errors.New("cortex: cortex.url is not set")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	c := &Client{base: strings.TrimRight(cfg.URL, "/"), key: cfg.APIKey, timeout: cfg.Timeout,
		log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		tr, err := httpapi.Transport("cortex", *cfg.VerifyTLS, cfg.CAFile)
		if err != nil {
			return nil, err
		}
		c.http = &http.Client{Transport: tr}
	}
	return c, nil
}

// URL returns Cortex's base URL.
func (c *Client) URL() string { return c.base }

// JobURL returns the link to a job's report in Cortex's web interface.
func (c *Client) JobURL(id string) string {
	return c.base + "/index.html#!/jobs/" + url.PathEscape(id)
}

// AnalyzerInfo is an analyzer enabled in Cortex (Cortex's "worker").
type AnalyzerInfo struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Version      string   `json:"version"`
	DefinitionID string   `json:"workerDefinitionId"`
	DataTypes    []string `json:"dataTypeList"`
}

// Analyzers lists the analyzers enabled for the key's organisation.
func (c *Client) Analyzers(ctx context.Context) ([]AnalyzerInfo, error) {
	var out []AnalyzerInfo
	err := c.call(ctx, http.MethodPost, "/api/analyzer/_search?range=all", map[string]any{"query": map[string]any{}}, &out)
	return out, err
}

// Analyzer returns the enabled analyzer whose name or id is nameOrID. An
// analyzer Cortex does not have is an error Cortex would refuse alike
// (ErrNoAnalyzer).
func (c *Client) Analyzer(ctx context.Context, nameOrID string) (AnalyzerInfo, error) {
	all, err := c.Analyzers(ctx)
	if err != nil {
		return AnalyzerInfo{}, err
	}
	for _, a := range all {
		if a.Name == nameOrID || a.ID == nameOrID {
			return a, nil
		}
	}
	return AnalyzerInfo{}, fmt.Errorf("%w: %s (enabled: %s)", ErrNoAnalyzer, nameOrID, names(all))
}

func names(as []AnalyzerInfo) string {
	if len(as) == 0 {
		return "none"
	}
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Name
	}
	return strings.Join(out, ", ")
}

// RunInput is what an analyzer is run on.
type RunInput struct {
	Data     string `json:"data"`
	DataType string `json:"dataType"`
	TLP      int    `json:"tlp"`
	PAP      int    `json:"pap"`
	// Message is free text kept with the job; drone puts its mark there,
	// by which it finds the job again.
	Message string `json:"message,omitempty"`
}

// Job is a Cortex job: one analyzer run on one datum.
type Job struct {
	ID           string `json:"id"`
	AnalyzerID   string `json:"analyzerId"`
	AnalyzerName string `json:"analyzerName"`
	DataType     string `json:"dataType"`
	Data         string `json:"data"`
	Status       string `json:"status"` // Waiting, InProgress, Success, Failure, Deleted
	Message      string `json:"message"`
	ErrorMessage string `json:"errorMessage"`
	TLP          int    `json:"tlp"`
	PAP          int    `json:"pap"`
	CreatedAt    int64  `json:"createdAt"`
}

// Job statuses.
const (
	StatusWaiting    = "Waiting"
	StatusInProgress = "InProgress"
	StatusSuccess    = "Success"
	StatusFailure    = "Failure"
	StatusDeleted    = "Deleted"
)

// Done reports whether Cortex has finished with the job.
func (j Job) Done() bool { return j.Status != StatusWaiting && j.Status != StatusInProgress }

// Run starts analyzer id on in and returns the job Cortex made (or took
// from its cache: a similar job of the last minutes).
func (c *Client) Run(ctx context.Context, id string, in RunInput) (Job, error) {
	var j Job
	err := c.call(ctx, http.MethodPost, "/api/analyzer/"+url.PathEscape(id)+"/run", in, &j)
	if err == nil && j.ID == "" {
		err = fmt.Errorf("cortex: POST /api/analyzer/%s/run: the answer names no job", id)
	}
	return j, err
}

// FindJobs returns the jobs of analyzer id on (dataType, data), newest
// first.
func (c *Client) FindJobs(ctx context.Context, id, dataType, data string) ([]Job, error) {
	q := map[string]any{"query": map[string]any{"_and": []any{
		map[string]any{"_field": "workerId", "_value": id},
		map[string]any{"_field": "dataType", "_value": dataType},
		map[string]any{"_field": "data", "_value": data},
	}}}
	var out []Job
	err := c.call(ctx, http.MethodPost, "/api/job/_search?range=0-100&sort=-createdAt", q, &out)
	return out, err
}

// Report is a job with its report, as waitreport answers.
type Report struct {
	Job
	// Summary and Full are the report of a job that succeeded.
	Summary Summary
	Full    json.RawMessage
}

// Summary is the short part of an analyzer's report.
type Summary struct {
	Taxonomies []Taxonomy `json:"taxonomies"`
}

// Taxonomy is one finding of an analyzer, as TheHive shows it in a label
// ("AbuseIPDB:score=97").
type Taxonomy struct {
	Level     string `json:"level"` // info, safe, suspicious, malicious
	Namespace string `json:"namespace"`
	Predicate string `json:"predicate"`
	Value     any    `json:"value"`
}

// String renders the taxonomy as "namespace:predicate=value".
func (t Taxonomy) String() string {
	v := fmt.Sprint(t.Value)
	if f, ok := t.Value.(float64); ok {
		v = strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%f", f), "0"), ".")
	}
	return fmt.Sprintf("%s:%s=%s", t.Namespace, t.Predicate, v)
}

// WaitReport asks for job id's report, letting Cortex hold the answer for
// up to wait while the analyzer works. A job still running comes back
// with its status and no report.
func (c *Client) WaitReport(ctx context.Context, id string, wait time.Duration) (Report, error) {
	secs := max(int(wait/time.Second), 1)
	path := fmt.Sprintf("/api/job/%s/waitreport?atMost=%dseconds", url.PathEscape(id), secs)
	var wire struct {
		Job
		Report json.RawMessage `json:"report"`
	}
	// The request's own bound adds the wait Cortex was allowed.
	if err := c.callFor(ctx, c.timeout+time.Duration(secs)*time.Second, http.MethodGet, path, nil, &wire); err != nil {
		return Report{}, err
	}
	r := Report{Job: wire.Job}
	if r.Status != StatusSuccess {
		return r, nil // the report is a string then: the status, or the error message
	}
	var rep struct {
		Summary Summary         `json:"summary"`
		Full    json.RawMessage `json:"full"`
	}
	if err := json.Unmarshal(wire.Report, &rep); err != nil {
		return Report{}, fmt.Errorf("cortex: GET %s: decoding the report: %w", path, err)
	}
	r.Summary, r.Full = rep.Summary, rep.Full
	return r, nil
}

// Ping reads the analyzers, which needs the key: it checks URL and key.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.Analyzers(ctx)
	return err
}

func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	return c.callFor(ctx, c.timeout, method, path, in, out)
}

// callFor sends one request bounded by timeout and decodes its 2xx answer
// into out; any other answer is an *APIError.
func (c *Client) callFor(ctx context.Context, timeout time.Duration, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("cortex: %s %s: encoding request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("cortex: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.log.DebugContext(ctx, "cortex request failed", "method", method, "path", path, "duration", time.Since(start))
		return &TransportError{Method: method, Path: path, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	c.log.DebugContext(ctx, "cortex request", "method", method, "path", path, "status", resp.StatusCode, "duration", time.Since(start))
	if err != nil {
		return &TransportError{Method: method, Path: path, Err: fmt.Errorf("reading answer: %w", err)}
	}
	if len(data) > maxResponse {
		return fmt.Errorf("cortex: %s %s: answer larger than %d bytes", method, path, maxResponse)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.apiError(method, path, resp, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrBadAnswer, method, path, err)
	}
	return nil
}
