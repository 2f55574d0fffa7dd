package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/web"
	"github.com/ttp0/drone/web/oidctest"
)

// withOIDC sets up a console whose sign-in page offers the provider p.
func withOIDC(t *testing.T) (*fixture, *oidctest.Provider) {
	t.Helper()
	p := oidctest.New(t, "drone-console", "s3cret")
	f := setup(t, func(o *web.Options) {
		o.Config.OIDC = web.OIDC{Issuer: p.Issuer, Name: "Example SSO", ClientID: "drone-console", ClientSecret: "s3cret",
			Scopes: []string{"profile", "groups"}, Roles: map[string]string{"soc": "responders", "soc-leads": "admin"},
			Clearances: map[string]string{"soc": "AMBER", "red-team": "RED"}, DefaultClearance: "GREEN"}
	})
	p.SetClock(f.clock)
	p.SetClaims(map[string]any{"sub": "0001", "preferred_username": "Grace", "name": "Grace Hopper",
		"groups": []string{"soc", "staff"}})
	return f, p
}

// oidcSignIn follows the flow as a browser would, from the sign-in
// button to the console's callback, which it answers; edit, when set,
// changes the provider's redirect back before it is followed.
func (b *browser) oidcSignIn(t *testing.T, next string, edit func(q url.Values)) response {
	t.Helper()
	res := b.get("/signin/oidc?next=" + url.QueryEscape(next))
	if res.status != http.StatusFound {
		t.Fatalf("sign in with the provider: %d\n%s", res.status, res.body)
	}
	to, err := url.Parse(res.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := to.Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": "drone-console",
		"code_challenge_method": "S256", "redirect_uri": b.f.srv.URL + "/signin/oidc/callback"} {
		if q.Get(k) != want {
			t.Errorf("authorize request: %s=%q, want %q", k, q.Get(k), want)
		}
	}
	if q.Get("state") == "" || q.Get("nonce") == "" || q.Get("code_challenge") == "" || q.Get("scope") != "openid profile groups" {
		t.Errorf("authorize request without state, nonce, PKCE or scopes: %v", q)
	}
	provider := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	pres, err := provider.Get(to.String())
	if err != nil {
		t.Fatal(err)
	}
	pres.Body.Close()
	back, err := url.Parse(pres.Header.Get("Location"))
	if err != nil || pres.StatusCode != http.StatusFound {
		t.Fatalf("provider answered %d to %q", pres.StatusCode, pres.Header.Get("Location"))
	}
	if edit != nil {
		bq := back.Query()
		edit(bq)
		back.RawQuery = bq.Encode()
	}
	return b.get(strings.TrimPrefix(back.String(), b.f.srv.URL))
}

func TestOIDCSignInMakesTheAccountFromTheClaims(t *testing.T) {
	t.Parallel()
	f, p := withOIDC(t)
	b := f.anonymous()
	b.get("/signin").must(t, http.StatusOK, `data-testid="signin-oidc"`, "Sign in with Example SSO", `href="/signin/oidc?next=%2f"`)
	res := b.oidcSignIn(t, "/measures", nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/measures" {
		t.Fatalf("callback: %d to %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	b.refreshCSRF()
	b.get("/").must(t, http.StatusOK, "Grace Hopper")
	b.get("/account").must(t, http.StatusOK, `data-testid="account-oidc"`)
	acc, err := f.db.Account(context.Background(), "grace")
	if err != nil {
		t.Fatal(err)
	}
	if !web.IsOIDC(acc) || acc.DisplayName != "Grace Hopper" || strings.Join(acc.Roles, ",") != "responders" || acc.Clearance != "AMBER" {
		t.Fatalf("account %+v", acc)
	}
	// The password form never signs an OIDC account in, whatever is typed.
	f.anonymous().post("/signin", url.Values{"name": {"grace"}, "password": {acc.PasswordHash}}).must(t, http.StatusUnauthorized)

	// The next sign-in brings the provider's changes: a lead on the red team.
	p.SetClaims(map[string]any{"sub": "0001", "preferred_username": "grace", "name": "Grace B. Hopper",
		"groups": "soc soc-leads red-team"})
	if res := f.anonymous().oidcSignIn(t, "/", nil); res.status != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d\n%s", res.status, res.body)
	}
	acc, _ = f.db.Account(context.Background(), "grace")
	if acc.DisplayName != "Grace B. Hopper" || strings.Join(acc.Roles, ",") != "admin,responders" || acc.Clearance != "RED" {
		t.Fatalf("account after the second sign-in %+v", acc)
	}
	// A disabled account stays out, whatever the provider says.
	acc.Disabled = true
	if err := f.db.SaveAccount(context.Background(), *acc); err != nil {
		t.Fatal(err)
	}
	f.anonymous().oidcSignIn(t, "/", nil).must(t, http.StatusUnauthorized, "The account grace is disabled.")
	// Without any mapped group: no role, the default clearance.
	p.SetClaims(map[string]any{"sub": "0002", "preferred_username": "visitor", "name": "Visitor"})
	if res := f.anonymous().oidcSignIn(t, "/", nil); res.status != http.StatusSeeOther {
		t.Fatalf("visitor: %d\n%s", res.status, res.body)
	}
	acc, _ = f.db.Account(context.Background(), "visitor")
	if len(acc.Roles) != 0 || acc.Clearance != "GREEN" {
		t.Fatalf("visitor %+v", acc)
	}
}

// Every broken answer is refused with its own message, and nobody is
// signed in.
func TestOIDCSignInRefusals(t *testing.T) {
	t.Parallel()
	forger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		prep func(*oidctest.Provider, *fixture)
		edit func(url.Values)
		want string
	}{
		{name: "wrong state", edit: func(q url.Values) { q.Set("state", "forged") },
			want: "not for the sign-in this browser started (state differs)"},
		{name: "wrong nonce", prep: func(p *oidctest.Provider, _ *fixture) {
			p.Tamper(func(c map[string]any) { c["nonce"] = "replayed" })
		}, want: "not for this sign-in (nonce differs)"},
		{name: "expired token", prep: func(p *oidctest.Provider, f *fixture) {
			p.Tamper(func(c map[string]any) {
				c["iat"], c["exp"] = f.clock().Add(-2*time.Hour).Unix(), f.clock().Add(-time.Hour).Unix()
			})
		}, want: "has expired"},
		{name: "wrong signature", prep: func(p *oidctest.Provider, _ *fixture) { p.SignWith(forger) },
			want: "signature does not match"},
		{name: "wrong audience", prep: func(p *oidctest.Provider, _ *fixture) {
			p.Tamper(func(c map[string]any) { c["aud"] = "another-app" })
		}, want: "issued for another application (audience)"},
		{name: "wrong issuer", prep: func(p *oidctest.Provider, _ *fixture) {
			p.Tamper(func(c map[string]any) { c["iss"] = "http://127.0.0.1:1" })
		}, want: "not issued by Example SSO (issuer)"},
		{name: "wrong code", edit: func(q url.Values) { q.Set("code", "guessed") }, want: "did not accept drone&#39;s code"},
		{name: "provider error", edit: func(q url.Values) { q.Del("code"); q.Set("error", "access_denied") },
			want: "Example SSO refused the sign-in (access_denied)"},
		{name: "taken name", prep: func(p *oidctest.Provider, _ *fixture) {
			p.SetClaims(map[string]any{"sub": "0003", "preferred_username": "alice"}) // a password account
		}, want: "exists already and does not belong to this Example SSO identity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, p := withOIDC(t)
			if tc.prep != nil {
				tc.prep(p, f)
			}
			b := f.anonymous()
			res := b.oidcSignIn(t, "/", tc.edit)
			res.must(t, http.StatusUnauthorized, `data-testid="signin-error"`)
			if !strings.Contains(res.body, tc.want) {
				t.Fatalf("message lacks %q:\n%s", tc.want, res.body)
			}
			if strings.Contains(res.header.Get("Set-Cookie"), "drone_session=") {
				t.Fatal("a session cookie was set")
			}
			if r := b.get("/"); r.status != http.StatusSeeOther {
				t.Fatalf("signed in after a refusal: %d", r.status)
			}
			if _, err := f.db.Account(context.Background(), "grace"); drone.ErrorCode(err) != drone.ENOTFOUND {
				t.Fatalf("account made after a refusal: %v", err)
			}
		})
	}
}

// A callback without the browser's request cookie (another browser, or a
// link forged to sign the victim in as the attacker) is refused.
func TestOIDCCallbackNeedsTheBrowsersRequest(t *testing.T) {
	t.Parallel()
	f, _ := withOIDC(t)
	f.anonymous().get("/signin/oidc/callback?code=x&state=y").must(t, http.StatusUnauthorized, "was not started here")
}

// Without an issuer there is no button and no route.
func TestNoOIDCWithoutAnIssuer(t *testing.T) {
	t.Parallel()
	f := setup(t)
	b := f.anonymous()
	b.get("/signin").mustNot(t, "signin-oidc")
	b.get("/signin/oidc").must(t, http.StatusNotFound)
}
