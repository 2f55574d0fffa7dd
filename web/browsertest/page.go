package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Page is one browser tab of one test. Its methods fail the test (t.Fatal)
// when an action fails or outlasts Timeout; selectors are CSS selectors.
// A Page belongs to one goroutine.
type Page struct {
	// Timeout bounds each action. Defaults to DefaultTimeout.
	Timeout time.Duration

	t       testing.TB
	ctx     context.Context // the tab
	browser *browser

	mu       sync.Mutex
	problems []string         // console errors and exceptions not yet reported
	allowed  []*regexp.Regexp // console messages the test expects

	documents map[network.RequestID]bool // requests for pages, not resources (listen's own)
}

// New opens a tab for t in a browser context of its own (fresh cookies and
// storage) and closes it when t ends. When t ends, console errors and
// uncaught exceptions of the page that no AllowConsole matched fail t.
// It skips t when Chromium is missing (fails it under CI=true).
func New(t testing.TB) *Page {
	t.Helper()
	b := browserFor(t)
	p := &Page{Timeout: DefaultTimeout, t: t, browser: b, documents: map[network.RequestID]bool{},
		// The browser asks every site for an icon on its own; a site
		// without one is not a broken page.
		allowed: []*regexp.Regexp{regexp.MustCompile(`/favicon\.ico$`)}}
	ctx, cancel := chromedp.NewContext(b.ctx,
		chromedp.WithNewBrowserContext(),
		chromedp.WithListener(p.listen))
	// As in startBrowser: the first Do binds the tab to ctx, so a timer bounds it.
	timer := time.AfterFunc(StartTimeout, cancel)
	err := chromedp.Do(ctx)
	if !timer.Stop() {
		t.Fatalf("browsertest: opening a tab: no answer within %s\n%s", StartTimeout, b.output.String())
	}
	if err != nil {
		cancel()
		t.Fatalf("browsertest: opening a tab: %v\n%s", err, b.output.String())
	}
	p.ctx = ctx
	t.Cleanup(cancel)
	t.Cleanup(p.CheckConsole) // runs before the tab closes
	return p
}

// listen collects what the page reports as broken. It runs in the tab's
// event loop: it must return fast and run no command.
func (p *Page) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Type == network.ResourceTypeDocument {
			p.documents[ev.RequestID] = true
		}
		return
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "uncaught exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		if d.URL != "" {
			msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			switch {
			case len(a.Value) > 0:
				var s string
				if json.Unmarshal(a.Value, &s) == nil {
					parts = append(parts, s)
				} else {
					parts = append(parts, string(a.Value))
				}
			case a.Description != "":
				parts = append(parts, a.Description)
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		// The browser's own errors: a failed script or style sheet, a
		// refused Content-Security-Policy, an HTTP error on a resource.
		if ev.Entry.Level != log.EntryLevelError {
			return
		}
		// A page's own status (a form sent back with 422, a 404 the test
		// asked for) is for the test to check: Navigate and Submit return it.
		if ev.Entry.NetworkRequestID != "" && p.documents[ev.Entry.NetworkRequestID] {
			return
		}
		msg = "browser log (" + string(ev.Entry.Source) + "): " + ev.Entry.Text
		if ev.Entry.URL != "" {
			msg += " " + ev.Entry.URL
		}
	default:
		return
	}
	p.mu.Lock()
	p.problems = append(p.problems, msg)
	p.mu.Unlock()
}

// AllowConsole tells the page that console errors matching the regular
// expression are expected (a 404 page the test visits on purpose logs
// "Failed to load resource: ... 404"); they do not fail the test.
func (p *Page) AllowConsole(pattern string) {
	re := regexp.MustCompile(pattern)
	p.mu.Lock()
	p.allowed = append(p.allowed, re)
	p.mu.Unlock()
}

// ConsoleErrors returns the console errors and uncaught exceptions seen so
// far that AllowConsole did not expect, and forgets them.
func (p *Page) ConsoleErrors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, m := range p.problems {
		if !p.expected(m) {
			out = append(out, m)
		}
	}
	p.problems = nil
	return out
}

func (p *Page) expected(msg string) bool {
	for _, re := range p.allowed {
		if re.MatchString(msg) {
			return true
		}
	}
	return false
}

// CheckConsole fails the test (without stopping it) for every unexpected
// console error or uncaught exception seen so far. New runs it when the test
// ends; call it earlier to find the step that broke the page.
func (p *Page) CheckConsole() {
	p.t.Helper()
	for _, m := range p.ConsoleErrors() {
		p.t.Errorf("browsertest: the page reported an error: %s", m)
	}
}

// Context returns the tab's chromedp context, for an action this type has no
// method for. Bound it yourself: Run does.
func (p *Page) Context() context.Context { return p.ctx }

// Run runs chromedp actions within Timeout, failing the test on an error.
func (p *Page) Run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browsertest: %s: %v", what, p.explain(err))
	}
}

// explain adds to a timeout what the page showed at the time.
func (p *Page) explain(err error) error {
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ""`))
	return fmt.Errorf("%w (the page at %s read:\n%s)", err, loc, text)
}

// Navigate opens url, waits until it has loaded, and returns its HTTP status.
func (p *Page) Navigate(url string) int {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		p.t.Fatalf("browsertest: navigating to %s: %v", url, p.explain(err))
	}
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// Fetch requests url from the page (with its cookies, as its own script
// would) and returns the HTTP status and the body, without leaving the
// page; for addresses that download rather than show.
func (p *Page) Fetch(url string) (int, string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	js := fmt.Sprintf(`fetch(%s, {credentials: "same-origin"}).then(async r => JSON.stringify([r.status, await r.text()]))`, jsString(url))
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("browsertest: fetching %s: %v", url, p.explain(err))
	}
	var res []json.RawMessage
	var status int
	var body string
	if json.Unmarshal([]byte(raw), &res) != nil || len(res) != 2 ||
		json.Unmarshal(res[0], &status) != nil || json.Unmarshal(res[1], &body) != nil {
		p.t.Fatalf("browsertest: fetching %s: %q", url, raw)
	}
	return status, body
}

// URL returns the address of the page shown now.
func (p *Page) URL() string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		p.t.Fatalf("browsertest: reading the location: %v", err)
	}
	return loc
}

// Fill sets the value of the form field sel (an input, a textarea or a
// select) as a person would leave it: the page's input and change handlers
// run. A select takes the value of an option.
func (p *Page) Fill(sel, value string) {
	p.t.Helper()
	p.waitVisible(sel)
	js := fmt.Sprintf(`(() => {
		const e = document.querySelector(%s);
		if (!e) return "no element";
		if (e.tagName === "SELECT" && ![...e.options].some(o => o.value === %s)) {
			return "no option " + %s + " among " + [...e.options].map(o => JSON.stringify(o.value)).join(", ");
		}
		e.focus();
		e.value = %s;
		if (e.value !== %s) return "it took " + JSON.stringify(e.value) + " (a disabled option?)";
		e.dispatchEvent(new Event("input", {bubbles: true}));
		e.dispatchEvent(new Event("change", {bubbles: true}));
		return "";
	})()`, jsString(sel), jsString(value), jsString(value), jsString(value), jsString(value))
	if msg := p.eval("filling "+sel, js); msg != "" {
		p.t.Fatalf("browsertest: filling %s: %s", sel, msg)
	}
}

// Type sends value to the field sel key by key, as typing would.
func (p *Page) Type(sel, value string) {
	p.t.Helper()
	p.Run("typing into "+sel, chromedp.SendKeys(chromedp.CSS(sel), value, chromedp.NodeVisible))
}

// Check ticks (or unticks) the checkbox or radio button sel.
func (p *Page) Check(sel string, on bool) {
	p.t.Helper()
	p.waitVisible(sel)
	js := fmt.Sprintf(`(() => {
		const e = document.querySelector(%s);
		if (e.checked !== %t) e.click();
		return e.checked === %t ? "" : "still " + e.checked;
	})()`, jsString(sel), on, on)
	if msg := p.eval("checking "+sel, js); msg != "" {
		p.t.Fatalf("browsertest: checking %s: %s", sel, msg)
	}
}

// Click clicks the element sel once it is visible, and does not wait for
// what follows; use Submit when the click loads a new page.
func (p *Page) Click(sel string) {
	p.t.Helper()
	p.Run("clicking "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// Submit clicks sel (a submit button, a link) and waits until the page it
// leads to has loaded; it returns that page's HTTP status.
func (p *Page) Submit(sel string) int {
	p.t.Helper()
	p.waitVisible(sel)
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		p.t.Fatalf("browsertest: clicking %s and waiting for the next page: %v", sel, p.explain(err))
	}
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// WaitVisible waits until an element sel is shown.
func (p *Page) WaitVisible(sel string) {
	p.t.Helper()
	p.waitVisible(sel)
}

func (p *Page) waitVisible(sel string) {
	p.t.Helper()
	p.Run("waiting for "+sel+" to be visible", chromedp.WaitVisible(chromedp.CSS(sel)))
}

// WaitGone waits until no element sel is left on the page.
func (p *Page) WaitGone(sel string) {
	p.t.Helper()
	p.Run("waiting for "+sel+" to go", chromedp.WaitNotPresent(chromedp.CSS(sel)))
}

// Exists reports whether an element sel is on the page now, without waiting.
func (p *Page) Exists(sel string) bool {
	p.t.Helper()
	return p.eval("looking for "+sel, fmt.Sprintf(`document.querySelector(%s) ? "yes" : ""`, jsString(sel))) != ""
}

// Text returns the text of the first element sel as the page shows it
// (innerText), waiting until there is one.
func (p *Page) Text(sel string) string {
	p.t.Helper()
	p.Run("waiting for "+sel, chromedp.WaitReady(chromedp.CSS(sel)))
	return p.eval("reading "+sel, fmt.Sprintf(`document.querySelector(%s).innerText`, jsString(sel)))
}

// Texts returns the text of every element sel, without waiting.
func (p *Page) Texts(sel string) []string {
	p.t.Helper()
	raw := p.eval("reading every "+sel, fmt.Sprintf(`JSON.stringify([...document.querySelectorAll(%s)].map(e => e.innerText))`, jsString(sel)))
	var out []string
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		p.t.Fatalf("browsertest: reading every %s: %v", sel, err)
	}
	return out
}

// Attr returns the attribute name of the first element sel ("" when absent).
func (p *Page) Attr(sel, name string) string {
	p.t.Helper()
	p.Run("waiting for "+sel, chromedp.WaitReady(chromedp.CSS(sel)))
	return p.eval("reading "+sel+"@"+name, fmt.Sprintf(`document.querySelector(%s).getAttribute(%s) || ""`, jsString(sel), jsString(name)))
}

// WaitText waits until the text of an element sel contains want, ignoring
// case (style sheets change it: text-transform), and returns that text. It keeps looking across page loads, so it can follow a
// form that submits, or a page that a server-sent event changes.
func (p *Page) WaitText(sel, want string) string {
	p.t.Helper()
	js := fmt.Sprintf(`(() => {
		const want = %s.toLowerCase();
		const all = [...document.querySelectorAll(%s)].map(e => e.innerText);
		if (!all.length) return "\u0000(no element matches)";
		return all.find(s => s.toLowerCase().includes(want)) ?? ("\u0000" + all.map(s => JSON.stringify(s)).join("\n"));
	})()`, jsString(want), jsString(sel))
	deadline := time.Now().Add(p.Timeout)
	var last string
	var lastErr error
	read := false // the page answered at least once
	for {
		ctx, cancel := context.WithTimeout(p.ctx, time.Until(deadline))
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		cancel()
		if err == nil && !strings.HasPrefix(got, "\x00") {
			return got
		}
		if err == nil {
			last, read = strings.TrimPrefix(got, "\x00"), true
		} else {
			lastErr = err
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !read {
		p.t.Fatalf("browsertest: waiting for %q in %s: %v", want, sel, p.explain(lastErr))
	}
	p.t.Fatalf("browsertest: waiting for %q in %s: not there after %s; %s read:\n%s", want, sel, p.Timeout, sel, last)
	return ""
}

// Eval runs a JavaScript expression in the page and returns its value,
// which must be a string.
func (p *Page) Eval(js string) string {
	p.t.Helper()
	return p.eval("evaluating "+js, js)
}

// eval runs a JavaScript expression that gives a string.
func (p *Page) eval(what, js string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		p.t.Fatalf("browsertest: %s: %v", what, p.explain(err))
	}
	return s
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Screenshot saves a PNG of the whole page (not just the window) as
// NAME.png in the screenshot folder (ScreenshotDir) and returns its path.
func (p *Page) Screenshot(name string) string {
	p.t.Helper()
	dir, err := ScreenshotDir()
	if err != nil {
		p.t.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, fileName(name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	p.t.Logf("screenshot: %s", path)
	return path
}

// ScreenshotDir returns the folder screenshots are saved to, creating it:
// $BROWSERTEST_SCREENSHOTS, or web/testdata/screenshots under the module
// root (git ignores it).
func ScreenshotDir() (string, error) {
	dir := os.Getenv("BROWSERTEST_SCREENSHOTS")
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "web", "testdata", "screenshots")
	}
	return dir, os.MkdirAll(dir, 0o755)
}

// moduleRoot is the nearest folder at or above the working directory (a
// test's package folder) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileName makes name safe as a file name.
func fileName(name string) string {
	return strings.Trim(unsafeName.ReplaceAllString(name, "-"), "-.")
}

// Download clicks sel, which must start a download (an evidence export), and
// waits until the file has arrived; it returns the file's path (in a
// temporary folder of the test) and the name the server suggested.
func (p *Page) Download(sel string) (path, suggested string) {
	p.t.Helper()
	dir := p.t.TempDir()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	c := chromedp.FromContext(p.ctx)
	_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior:         cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName,
		BrowserContextID: c.BrowserContextID,
		DownloadPath:     dir,
		EventsEnabled:    new(true),
	})
	if err != nil {
		p.t.Fatalf("browsertest: allowing downloads: %v", err)
	}
	// Subscribe before the click, so no event is missed.
	begun := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadWillBegin)
	progress := chromedp.BrowserEvents(ctx, cdpbrowser.DownloadProgress)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
		p.t.Fatalf("browsertest: clicking %s to download: %v", sel, p.explain(err))
	}
	var guid string
	for ev, err := range begun {
		if err != nil {
			p.t.Fatalf("browsertest: waiting for the download of %s to begin: %v", sel, p.explain(err))
		}
		guid, suggested = ev.GUID, ev.SuggestedFilename
		break
	}
	for ev, err := range progress {
		if err != nil {
			p.t.Fatalf("browsertest: waiting for the download of %s: %v", suggested, err)
		}
		if ev.GUID != guid {
			continue
		}
		switch ev.State {
		case cdpbrowser.DownloadProgressStateCompleted:
			return filepath.Join(dir, guid), suggested
		case cdpbrowser.DownloadProgressStateCanceled:
			p.t.Fatalf("browsertest: the download of %s was canceled", suggested)
		}
	}
	p.t.Fatalf("browsertest: the download of %s never completed", suggested)
	return "", ""
}
