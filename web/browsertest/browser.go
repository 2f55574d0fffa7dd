// Package browsertest drives a real headless Chromium from Go tests.
//
// One browser serves every test of a test binary; each test gets a tab of its
// own in a browser context of its own (its own cookies, so sessions never leak
// between tests). Every action is bounded by a timeout, the page's console
// errors and uncaught exceptions fail the test, and screenshots land in the
// git-ignored web/testdata/screenshots/ so a person can look at them.
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
//
//	func TestSignIn(t *testing.T) {
//		p := browsertest.New(t)
//		p.Navigate(srv.URL + "/signin")
//		p.Fill("#name", "ada")
//		p.Submit("button[type=submit]")
//		p.WaitText("h1", "Board")
//		p.Screenshot("board")
//	}
//
// Chromium is Debian's /usr/bin/chromium, or the program named by $CHROMIUM.
// When it is missing the tests skip and say how to install it; under CI=true
// they fail instead. This package is for tests only: no production code
// imports it (TestNotInTheProgram guards that).
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// StartTimeout bounds the start of the browser and the opening of a tab.
const StartTimeout = 30 * time.Second

// DefaultTimeout bounds each action of a Page unless Page.Timeout says otherwise.
const DefaultTimeout = 10 * time.Second

// flags are the command-line switches of every browser this package starts.
// Without the background-networking ones Chromium reaches for Google's
// services, and on a closed network it stalls on the refused connections.
var flags = []chromedp.ExecAllocatorOption{
	chromedp.Flag("headless", true),
	chromedp.Flag("no-sandbox", true),
	chromedp.Flag("disable-gpu", true),
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("no-first-run", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("hide-scrollbars", true), // screenshots as wide as the window
	chromedp.WindowSize(1280, 900),
}

// chromiumPath returns the Chromium to run: $CHROMIUM, else chromium or
// chromium-browser on PATH, else Debian's /usr/bin/chromium.
func chromiumPath() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("$CHROMIUM is %q: %w (unset it to use Debian's, installed by `apt-get install chromium`)", p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	return "", errors.New("no Chromium found: install it with `apt-get install chromium` (Debian), or set $CHROMIUM to its path")
}

// browser is one running Chromium.
type browser struct {
	ctx    context.Context // the browser's own chromedp context; tabs derive from it
	cancel func()          // stops the browser and waits for it to exit
	dir    string          // the --user-data-dir
	output *Buffer         // Chromium's stdout and stderr, for failures
}

// startBrowser starts Chromium with a fresh profile in dir and waits, at most
// StartTimeout, until it answers.
func startBrowser(dir string) (*browser, error) {
	path, err := chromiumPath()
	if err != nil {
		return nil, err
	}
	out := &Buffer{}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.CombinedOutput(out),
	}, flags...)
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &browser{ctx: ctx, dir: dir, output: out, cancel: func() {
		cancel()
		allocCancel()
	}}
	// The first Do starts the process and binds it to ctx, so it cannot take a
	// context with a deadline: a timer cancels ctx instead.
	timer := time.AfterFunc(StartTimeout, b.cancel)
	err = chromedp.Do(ctx)
	if !timer.Stop() {
		return nil, fmt.Errorf("starting %s: no answer within %s\n%s", path, StartTimeout, out.String())
	}
	if err != nil {
		b.cancel()
		return nil, fmt.Errorf("starting %s: %w\n%s", path, err, out.String())
	}
	return b, nil
}

// shared is the browser of the test binary, started by the first New after
// Main and stopped when Main's tests end.
var shared struct {
	mu      sync.Mutex
	inMain  bool
	started bool
	b       *browser
	err     error
}

// Main runs the tests of a test binary with one shared browser, started when
// the first test asks for a page and stopped when the tests end. Call it from
// TestMain:
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
//
// TestMain may do more around it (deferred clean-ups run before the test
// binary exits with m.Run's code). Without Main, each test starts a
// browser of its own.
func Main(m *testing.M) {
	shared.mu.Lock()
	shared.inMain = true
	shared.mu.Unlock()
	defer func() {
		shared.mu.Lock()
		defer shared.mu.Unlock()
		if shared.b != nil {
			shared.b.cancel()
			os.RemoveAll(shared.b.dir)
		}
		shared.b, shared.started, shared.inMain = nil, false, false
	}()
	m.Run()
}

// browserFor returns the browser t should open its tab in: the shared one
// under Main, else one of t's own that stops when t ends. It skips t when
// Chromium is missing, or fails it under CI=true.
func browserFor(t testing.TB) *browser {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.inMain {
		if !shared.started {
			shared.started = true
			dir, err := os.MkdirTemp("", "browsertest-profile-")
			if err == nil {
				shared.b, shared.err = startBrowser(dir)
				if shared.err != nil {
					os.RemoveAll(dir)
				}
			} else {
				shared.err = err
			}
		}
		if shared.err != nil {
			unavailable(t, shared.err)
		}
		return shared.b
	}
	b, err := startBrowser(t.TempDir())
	if err != nil {
		unavailable(t, err)
	}
	t.Cleanup(b.cancel)
	return b
}

// unavailable skips t when there is no browser to run, or fails it when the
// environment says this is CI, where a skipped browser test proves nothing.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("browsertest: %v (CI=true: browser tests must run, not skip)", err)
	}
	t.Skipf("browsertest: %v", err)
}

// Buffer is a bytes.Buffer safe for a writer on another goroutine: the
// browser's output, a drone process's.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
