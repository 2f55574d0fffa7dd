package browsertest

import (
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// server is a tiny site on loopback: a form that greets, a page that
// throws, a page that logs an error, and a file to download.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><html><head><title>form</title>
<style>body{font:16px sans-serif;margin:2em} label{display:block;margin:.5em 0}</style></head>
<body><h1>Greeter</h1>
<form method="post" action="/greet">
<label>Name <input id="name" name="name"></label>
<label>Colour <select id="colour" name="colour"><option value="">choose</option><option value="green">Green</option><option value="blue">Blue</option></select></label>
<label><input type="checkbox" id="loud" name="loud" value="1"> loud</label>
<button type="submit" id="go">Greet</button>
</form>
<p><a id="file" href="/file.json" download>the file</a></p>
<p id="echo"></p>
<script>document.getElementById("colour").addEventListener("change", e => {
  document.getElementById("echo").textContent = "colour is " + e.target.value;
});</script>
</body></html>`)
	})
	mux.HandleFunc("POST /greet", func(w http.ResponseWriter, r *http.Request) {
		greeting := "Hello, " + r.FormValue("name") + " in " + r.FormValue("colour")
		if r.FormValue("loud") == "1" {
			greeting = strings.ToUpper(greeting) + "!"
		}
		fmt.Fprintf(w, `<!doctype html><html><body><h1 id="result">%s</h1></body></html>`, html.EscapeString(greeting))
	})
	mux.HandleFunc("GET /throws", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><html><body><p>broken</p><script>undefinedFunction();</script></body></html>`)
	})
	mux.HandleFunc("GET /logs", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><html><body><p>logs</p><script>console.error("the chart", "failed");</script></body></html>`)
	})
	mux.HandleFunc("GET /missing", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such thing", http.StatusNotFound)
	})
	mux.HandleFunc("GET /brokenscript", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><html><body><p>half a page</p><script src="/missing"></script></body></html>`)
	})
	mux.HandleFunc("GET /file.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `attachment; filename="evidence.json"`)
		fmt.Fprint(w, `{"incident":"INC-1","entries":3}`)
	})
	srv := httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(srv.Close)
	return srv
}

func TestFormFillSubmitScreenshot(t *testing.T) {
	t.Parallel()
	srv := server(t)
	p := New(t)
	if status := p.Navigate(srv.URL + "/"); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	p.Fill("#name", "Ada <Lovelace>")
	p.Fill("#colour", "green")
	if got := p.WaitText("#echo", "colour is"); got != "colour is green" {
		t.Errorf("the change handler ran with %q", got)
	}
	p.Check("#loud", true)
	p.Screenshot("browsertest-form")
	if status := p.Submit("#go"); status != http.StatusOK {
		t.Fatalf("submit: status %d", status)
	}
	if got, want := p.Text("#result"), "HELLO, ADA <LOVELACE> IN GREEN!"; got != want {
		t.Errorf("result %q, want %q", got, want)
	}
	path := p.Screenshot("browsertest-result")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is no PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() < 100 {
		t.Errorf("screenshot is %v, want 1280 wide", b)
	}
}

func TestWaitTextFollowsANewPage(t *testing.T) {
	t.Parallel()
	srv := server(t)
	p := New(t)
	p.Navigate(srv.URL + "/")
	p.Fill("#name", "Grace")
	p.Click("#go") // no waiting for the load: WaitText must cope
	p.WaitText("h1", "Hello, Grace")
}

func TestDownload(t *testing.T) {
	t.Parallel()
	srv := server(t)
	p := New(t)
	p.Navigate(srv.URL + "/")
	path, name := p.Download("#file")
	if name != "evidence.json" {
		t.Errorf("suggested name %q", name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"incident":"INC-1","entries":3}` {
		t.Errorf("downloaded %q", b)
	}
}

func (p *Page) hasProblems() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.problems) > 0
}

// recorder stands in for a test to see what the Page reports to it.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) reported() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errors, "\n")
}

func TestPageErrorsFailTheTest(t *testing.T) {
	t.Parallel()
	srv := server(t)
	for _, c := range []struct{ path, want string }{
		{"/throws", "undefinedFunction is not defined"},
		{"/logs", "console.error: the chart failed"},
		{"/brokenscript", "status of 404"},
	} {
		t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
			t.Parallel()
			r := &recorder{TB: t}
			p := New(r)
			p.Navigate(srv.URL + c.path)
			// Events come in on their own goroutine: give them a moment.
			for i := 0; i < 40 && !p.hasProblems(); i++ {
				time.Sleep(50 * time.Millisecond)
			}
			p.CheckConsole()
			if got := r.reported(); !strings.Contains(got, c.want) {
				t.Errorf("reported %q, want it to mention %q", got, c.want)
			}
		})
	}
}

func TestAllowConsole(t *testing.T) {
	t.Parallel()
	srv := server(t)
	r := &recorder{TB: t}
	p := New(r)
	p.AllowConsole(`status of 404|MIME type`)
	p.Navigate(srv.URL + "/brokenscript")
	p.Navigate(srv.URL + "/")
	p.CheckConsole()
	if got := r.reported(); got != "" {
		t.Errorf("an expected 404 was reported: %s", got)
	}
}

// A page's own status is the test's to check, not an error of the page.
func TestPageStatusIsNoConsoleError(t *testing.T) {
	t.Parallel()
	srv := server(t)
	r := &recorder{TB: t}
	p := New(r)
	if status := p.Navigate(srv.URL + "/missing"); status != http.StatusNotFound {
		t.Errorf("status %d", status)
	}
	time.Sleep(200 * time.Millisecond) // let a log entry arrive, were there one
	p.CheckConsole()
	if got := r.reported(); got != "" {
		t.Errorf("a 404 page was reported as an error of the page: %s", got)
	}
}

// TestNotInTheProgram fails when drone itself would carry the browser.
func TestNotInTheProgram(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/ttp0/drone/cmd/bot").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/chromedp/") || strings.HasSuffix(dep, "/browsertest") {
			t.Errorf("drone depends on %s", dep)
		}
	}
}
