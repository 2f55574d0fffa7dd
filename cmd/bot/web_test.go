package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// drone serve shows the console on its own address, says where, and while
// no account exists prints the one-time link that creates the first
// administrator; the link signs them in.
func TestServeShowsTheConsoleWithASetupLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.must("declare", "--category", "CAT1", "--severity", "high", "--overview", "phishing wave")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, Streams{In: strings.NewReader(""), Out: pw, Err: io.Discard}, e.lookup)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var console, link string
	for link == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("serve stopped printing before the set-up link")
			}
			if s, ok := strings.CutPrefix(l, "web console: "); ok {
				console = s
			}
			if s := strings.TrimSpace(l); strings.Contains(s, "/setup?token=") {
				link = s
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no set-up link")
		}
	}
	if !strings.Contains(console, "(reachable from this machine only)") {
		t.Fatalf("console line %q", console)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 5 * time.Second}
	base := strings.TrimSuffix(link[:strings.Index(link, "/setup")], "/")
	res, err := client.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/signin" {
		t.Fatalf("a stranger reached %s", res.Request.URL)
	}
	token := link[strings.Index(link, "token=")+len("token="):]
	res, err = client.PostForm(base+"/setup", url.Values{"token": {token}, "name": {"admin"}, "password": {"correct horse battery"},
		"confirm": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `data-ref="INC-1"`) {
		t.Fatalf("after set-up: %d %s\n%s", res.StatusCode, res.Request.URL, body)
	}
	out := e.must("user", "list")
	if !strings.Contains(out, "admin") || !strings.Contains(out, "TLP:RED") {
		t.Fatalf("user list: %q", out)
	}
}

func TestUserCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if out, errOut, code := e.run("short\n", "user", "add", "Alice", "--role", "responders", "--clearance", "purple"); code != exitUsage ||
		!strings.Contains(errOut, "password: a password needs at least 12 characters") || !strings.Contains(errOut, "clearance:") {
		t.Fatalf("a bad account: %d %q %q", code, out, errOut)
	}
	out, errOut, code := e.run("correct horse battery\n", "user", "add", "Alice", "--role", "responders,admin", "--clearance", "amber",
		"--display", "Alice Martin")
	if code != 0 || !strings.Contains(out, "added alice (web:alice), console roles responders, admin, clearance TLP:AMBER") {
		t.Fatalf("user add: %d %q %q", code, out, errOut)
	}
	if _, _, code := e.run("correct horse battery\n", "user", "add", "alice"); code != exitUsage {
		t.Fatalf("a second alice: exit %d", code)
	}
	out = e.must("user", "list", "--json")
	if !strings.Contains(out, `"name": "alice"`) || strings.Contains(out, "argon2") {
		t.Fatalf("user list --json: %s", out)
	}
	if out, _, code := e.run("another long secret\n", "user", "passwd", "alice"); code != 0 || !strings.Contains(out, "password changed") {
		t.Fatalf("user passwd: %d %q", code, out)
	}
	if out := e.must("user", "set", "alice", "--clearance", "red"); !strings.Contains(out, "alice: console roles responders, admin, clearance TLP:RED") {
		t.Fatalf("user set --clearance: %q", out)
	}
	if out := e.must("user", "set", "Alice", "--role", "readers", "--role", "leads"); !strings.Contains(out, "console roles readers, leads, clearance TLP:RED") {
		t.Fatalf("user set --role: %q", out)
	}
	if out := e.must("user", "set", "alice", "--role", ""); !strings.Contains(out, "console roles none") {
		t.Fatalf("user set --role '': %q", out)
	}
	if _, errOut, code := e.run("", "user", "set", "alice", "--clearance", "purple", "--role", "web:group:x"); code != exitUsage ||
		!strings.Contains(errOut, "roles: a console role is one word") || !strings.Contains(errOut, "clearance:") {
		t.Fatalf("user set with bad values: %d %q", code, errOut)
	}
	if _, errOut, code := e.run("", "user", "set", "alice"); code != exitUsage || !strings.Contains(errOut, "say what to change") {
		t.Fatalf("user set without a change: %d %q", code, errOut)
	}
	if out := e.must("user", "list"); !strings.Contains(out, "TLP:RED") {
		t.Fatalf("user list after set: %q", out)
	}
	if out := e.must("user", "disable", "alice"); !strings.Contains(out, "disabled") {
		t.Fatalf("user disable: %q", out)
	}
	if out := e.must("user", "list"); !strings.Contains(out, "(disabled)") {
		t.Fatalf("user list after disable: %q", out)
	}
}
