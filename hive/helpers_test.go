package hive_test

import (
	"testing"
	"time"

	"github.com/ttp0/drone/hive"
	"github.com/ttp0/drone/hive/hivetest"
)

var apis = []string{hive.APIv1, hive.APIv0}

func ptr[T any](v T) *T { return &v }

// testOptions are the stand-in's settings shared by the tests.
func testOptions() hivetest.Options {
	return hivetest.Options{
		CustomFields:  []string{"drone-zone", "drone-tier"},
		CaseTemplates: []string{"intrusion"},
		Users:         []string{"alice@example.org"},
	}
}

// bundle is what a client test needs.
type bundle struct {
	srv *hivetest.Server
	cli *hive.Client
	cfg hive.Config
}

// setup starts a stand-in and a client of it for one API version.
func setup(t *testing.T, api string, mods ...func(*hive.Config)) bundle {
	t.Helper()
	srv := hivetest.New(t, testOptions())
	cfg := hive.Config{
		URL: srv.URL(), APIKey: srv.Key(), Organisation: srv.Organisation(),
		API: api, Rate: ptr(0.0), Timeout: 5 * time.Second,
	}
	for _, m := range mods {
		m(&cfg)
	}
	cli, err := hive.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return bundle{srv: srv, cli: cli, cfg: cfg}
}

func forEachAPI(t *testing.T, f func(t *testing.T, api string)) {
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			f(t, api)
		})
	}
}
