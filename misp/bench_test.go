package misp_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ttp0/drone/misp"
	"github.com/ttp0/drone/misp/misptest"
)

// BenchmarkEnrich10k looks 10,000 distinct indicators up through the MISP
// stand-in, which refuses more than 2,000 requests a second (429), with
// the client limited to the same rate, as a misp.lookup job does (8 in
// flight, the cache keeping what a retry need not ask again). It reports
// the time against the floor the limit sets, 10,000 / 2,000 = 5s, as
// x_floor, and the stand-in's refusals. Run it with -benchtime=1x.
func BenchmarkEnrich10k(b *testing.B) {
	const n, limit = 10_000, 2_000.0
	srv := misptest.New(b, "bench-key")
	srv.AddEvent(misptest.Event{Info: "APT-X", ThreatLevelID: "1",
		Attributes: []*misptest.Attribute{{Type: "ip-dst", Value: "203.0.113.7"}}})
	items := make([]misp.Item, n)
	for i := range items {
		items[i] = misp.Item{Type: "ipv4", Value: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}
	}
	items[n/2] = misp.Item{Type: "ipv4", Value: "203.0.113.7"}
	var total time.Duration
	for range b.N {
		srv.Limit(limit) // a fresh bucket, as the client's
		client, err := misp.New(misp.Config{URL: srv.URL, Key: srv.Key, Rate: ptr(limit), Timeout: 10 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		found, err := lookupRetrying(client, items)
		total += time.Since(start)
		if err != nil || len(found) != 1 {
			b.Fatalf("LookupAll: %d found, %v", len(found), err)
		}
	}
	floor := time.Duration(float64(n) / limit * float64(time.Second))
	b.ReportMetric(float64(total)/float64(b.N)/float64(floor), "x_floor")
	b.ReportMetric(float64(srv.Limited())/float64(b.N), "429s/op")
}

// lookupRetrying retries LookupAll after a 429 as the queue would, after
// the wait MISP asked for.
func lookupRetrying(c *misp.Client, items []misp.Item) ([]misp.Found, error) {
	for {
		found, err := misp.LookupAll(context.Background(), c, items)
		var ae *misp.APIError
		if !errors.As(err, &ae) || ae.Status != 429 {
			return found, err
		}
		time.Sleep(ae.RetryAfter)
	}
}
