package openloop

import (
	"context"
	"flag"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestParseRates(t *testing.T) {
	got, err := ParseRates("50, 200,5000")
	if err != nil || !slices.Equal(got, []int{50, 200, 5000}) {
		t.Errorf("ParseRates = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "5001", "fast", "50,,200"} {
		if _, err := ParseRates(bad); err == nil {
			t.Errorf("ParseRates(%q) took it", bad)
		}
	}
	if CheckDuration(time.Second) != nil || CheckDuration(0) == nil || CheckDuration(2*time.Minute) == nil {
		t.Error("CheckDuration does not keep to 1ns..1m")
	}
}

func TestFlags(t *testing.T) {
	parse := func(args ...string) (Flags, error) {
		var f Flags
		fs := flag.NewFlagSet("bench", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f.Register(fs, "rates", "duration")
		return f, f.Parse(fs, args)
	}
	f, err := parse()
	if err != nil || !slices.Equal(f.Rates, []int{50, 200, 500}) || f.Duration != 5*time.Second {
		t.Errorf("defaults = %v %v, %v", f.Rates, f.Duration, err)
	}
	f, err = parse("-rates", "7", "-duration", "2s")
	if err != nil || !slices.Equal(f.Rates, []int{7}) || f.Duration != 2*time.Second {
		t.Errorf("-rates 7 -duration 2s = %v %v, %v", f.Rates, f.Duration, err)
	}
	for _, args := range [][]string{{"-rates", "0"}, {"-duration", "0s"}, {"-nothing"}} {
		if _, err := parse(args...); err == nil {
			t.Errorf("%v taken", args)
		}
	}
}

func TestPercentileByNearestRank(t *testing.T) {
	var s Sample
	for i := 1; i <= 100; i++ {
		s.Lat = append(s.Lat, time.Duration(i))
	}
	for p, want := range map[float64]time.Duration{50: 50, 99: 99, 100: 100, 0: 1} {
		if got := s.P(p); got != want {
			t.Errorf("P(%v) = %d, want %d", p, got, want)
		}
	}
	if (Sample{}).P(50) != 0 {
		t.Error("an empty sample has a percentile")
	}
}

// TestRunCountsByKind sends requests of two kinds to a loopback server that
// fails one of them, and sees each answer counted where it belongs.
func TestRunCountsByKind(t *testing.T) {
	srv, err := Listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Kind") != "good" || r.URL.Path != "/ok" {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var reqs []Request
	for i := range 9 {
		if i%3 == 0 {
			reqs = append(reqs, Request{Kind: "bad", URL: srv.URL + "/ok", Header: http.Header{"X-Kind": {"bad"}}})
		} else {
			reqs = append(reqs, Request{Kind: "good", URL: srv.URL + "/ok", Body: []byte("x"), Header: http.Header{"X-Kind": {"good"}}})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Run(ctx, Client(), MaxRate, reqs)
	if err != nil {
		t.Fatal(err)
	}
	good, bad, all := res.Of("good"), res.Of("bad"), res.All()
	if len(good.Lat) != 6 || good.Errors != 0 || len(bad.Lat) != 0 || bad.Errors != 3 || len(all.Lat) != 6 || all.Errors != 3 {
		t.Errorf("good %d/%d, bad %d/%d, all %d/%d", len(good.Lat), good.Errors, len(bad.Lat), bad.Errors, len(all.Lat), all.Errors)
	}
	if !slices.IsSorted(all.Lat) {
		t.Error("the sample is not sorted")
	}
}
