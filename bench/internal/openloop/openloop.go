// Package openloop is the load harness the chat benchmarks share: it sends
// prepared POST requests at a fixed rate, open loop (each request leaves at
// its scheduled time and its latency counts from then, so a slow server
// cannot hide its queue), and reports their latencies by percentile. The
// floor a benchmark compares drone with is served on loopback by Listen.
package openloop

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxRate is the highest rate per second a benchmark may ask for.
const MaxRate = 5000

// Flags are the flags every open-loop benchmark takes, -rates and
// -duration, parsed and checked.
type Flags struct {
	Rates    []int         // the rates to measure, per second
	Duration time.Duration // how long each rate is held
	rates    string
}

// Register adds -rates (default 50,200,500) and -duration (default 5s) to
// fs, each with the command's own usage text.
func (f *Flags) Register(fs *flag.FlagSet, ratesUsage, durationUsage string) {
	fs.StringVar(&f.rates, "rates", "50,200,500", ratesUsage)
	fs.DurationVar(&f.Duration, "duration", 5*time.Second, durationUsage)
}

// Parse parses args with fs, then the rates and the duration it set.
func (f *Flags) Parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil {
		return err
	}
	if f.Rates, err = ParseRates(f.rates); err != nil {
		return err
	}
	return CheckDuration(f.Duration)
}

// ParseRates parses a -rates flag: rates per second, comma-separated, each
// from 1 to MaxRate.
func ParseRates(s string) ([]int, error) {
	var rates []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > MaxRate {
			return nil, fmt.Errorf("-rates: %q is not a rate from 1 to %d", f, MaxRate)
		}
		rates = append(rates, n)
	}
	return rates, nil
}

// CheckDuration checks a -duration flag: how long each rate is held.
func CheckDuration(d time.Duration) error {
	if d <= 0 || d > time.Minute {
		return errors.New("-duration must be from 1ns to 1m")
	}
	return nil
}

// Client returns an HTTP client that keeps enough idle connections to
// 127.0.0.1 for the highest rate, so that connecting is not measured.
func Client() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 2 * MaxRate, MaxIdleConnsPerHost: MaxRate, IdleConnTimeout: time.Minute}}
}

// Server is a handler served on a free port of 127.0.0.1.
type Server struct {
	URL string // http://127.0.0.1:port
	s   *http.Server
}

// Listen serves h on a free port of 127.0.0.1 until Close.
func Listen(h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	s := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.Serve(ln) }()
	return &Server{URL: "http://" + ln.Addr().String(), s: s}, nil
}

// Close stops the server and its connections.
func (s *Server) Close() { _ = s.s.Close() }

// Request is one prepared POST.
type Request struct {
	Kind   string // what it is, to report latencies by kind
	URL    string
	Body   []byte
	Header http.Header
}

// Results are the latencies of the requests that were answered 200, by
// kind, and the count of the others.
type Results struct {
	mu     sync.Mutex
	lat    map[string][]time.Duration
	errors map[string]int
}

// Sample is the latencies of some requests, sorted, and how many failed.
type Sample struct {
	Lat    []time.Duration
	Errors int
}

// Run sends reqs through client at rate per second, each at its scheduled
// time, and measures each from that time until its answer is read.
func Run(ctx context.Context, client *http.Client, rate int, reqs []Request) (*Results, error) {
	res := &Results{lat: map[string][]time.Duration{}, errors: map[string]int{}}
	every := time.Second / time.Duration(rate)
	var wg sync.WaitGroup
	defer wg.Wait()
	start := time.Now()
	for i, rq := range reqs {
		due := start.Add(time.Duration(i) * every)
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok := send(ctx, client, rq)
			res.add(rq.Kind, time.Since(due), ok)
		}()
	}
	return res, nil
}

func (r *Results) add(kind string, took time.Duration, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !ok {
		r.errors[kind]++
		return
	}
	r.lat[kind] = append(r.lat[kind], took)
}

// send posts rq and reports whether it was answered 200.
func send(ctx context.Context, client *http.Client, rq Request) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rq.URL, bytes.NewReader(rq.Body))
	if err != nil {
		return false
	}
	req.Header = rq.Header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err == nil && resp.StatusCode == http.StatusOK
}

// Of is the sample of the requests of one kind.
func (r *Results) Of(kind string) Sample {
	s := Sample{Lat: slices.Clone(r.lat[kind]), Errors: r.errors[kind]}
	slices.Sort(s.Lat)
	return s
}

// All is the sample of every request.
func (r *Results) All() Sample {
	var s Sample
	for _, l := range r.lat {
		s.Lat = append(s.Lat, l...)
	}
	for _, n := range r.errors {
		s.Errors += n
	}
	slices.Sort(s.Lat)
	return s
}

// P is the p-th percentile of the sample, by nearest rank; P(100) is the
// largest latency, and an empty sample's is 0.
func (s Sample) P(p float64) time.Duration {
	if len(s.Lat) == 0 {
		return 0
	}
	i := int(float64(len(s.Lat))*p/100+0.5) - 1
	return s.Lat[min(max(i, 0), len(s.Lat)-1)]
}

// Ms is d in milliseconds, for tables.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
