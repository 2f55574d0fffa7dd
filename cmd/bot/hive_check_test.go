package main

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/ttp0/drone/hive/hivetest"
)

func TestHiveCheck(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		opts     hivetest.Options
		settings hiveSettings
		code     int
		stdout   []string
		stderr   []string
	}{
		"v1": {testServerOptions(), hiveSettings{}, exitOK,
			[]string{"TheHive 5.4.0 at http://127.0.0.1:", "(API v1)", "user: drone@thehive.local (drone), profile analyst, organisation drone"}, nil},
		"v0": {testServerOptions(), hiveSettings{API: "v0"}, exitOK,
			[]string{"TheHive 5.4.0 at", "(API v0)", "user: drone@thehive.local (drone)"}, nil},
		"bad key": {testServerOptions(), hiveSettings{Key: "not-the-key"}, exitFailure,
			nil, []string{"the API key was refused", "hive.api_key", "401 AuthenticationError"}},
		"wrong organisation": {testServerOptions(), hiveSettings{Organisation: "elsewhere"}, exitFailure,
			nil, []string{`organisation "elsewhere" refused the key's user (hive.organisation)`, "403 AuthorizationError"}},
		"no TheHive there": {testServerOptions(), hiveSettings{URL: "http://" + closedPort(t)}, exitFailure,
			nil, []string{"cannot reach TheHive (check hive.url)"}},
		"wrong path": {testServerOptions(), hiveSettings{Path: "/thehive"}, exitFailure,
			nil, []string{"no v1 API at hive.url"}},
		"untrusted certificate": {tlsServerOptions(), hiveSettings{}, exitFailure,
			nil, []string{"TLS certificate is not trusted (set hive.ca_file"}},
		"verification off": {tlsServerOptions(), hiveSettings{Extra: "  verify_tls: false"}, exitOK,
			[]string{"TheHive 5.4.0 at https://"}, []string{"warning: TheHive's TLS certificate is not verified"}},
		"bad configuration": {testServerOptions(), hiveSettings{API: "v9"}, exitUsage,
			nil, []string{`hive.api: "v9" is neither "v1" nor "v0"`}},
		"unknown playbook category": {testServerOptions(), hiveSettings{Extra: "    CAT11: [Triage]"}, exitOK,
			[]string{"TheHive 5.4.0"}, []string{`warning: hive.playbooks: "CAT11"`}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHiveDrone(t, tc.opts, tc.settings)
			stdout, stderr, code := h.run("hive", "check")
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if key := h.srv.Key(); strings.Contains(stdout+stderr, key) {
				t.Error("the API key was printed")
			}
		})
	}
}

func TestHiveCheckNotConfigured(t *testing.T) {
	t.Parallel()
	h := newHiveDrone(t, testServerOptions(), hiveSettings{Disabled: true})
	_, stderr, code := h.run("hive", "check")
	if code != exitUsage || !strings.Contains(stderr, "TheHive is not configured: set hive.url") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestHiveCheckJSON(t *testing.T) {
	t.Parallel()
	h := newHiveDrone(t, testServerOptions(), hiveSettings{Key: "not-the-key"})
	stdout, _, code := h.run("hive", "check", "--json")
	var res hiveCheckResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	if code != exitFailure || res.OK || !strings.Contains(res.Error, "hive.api_key") || res.API != "v1" {
		t.Errorf("exit %d, result %+v", code, res)
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
