package web

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ttp0/drone/drone"
)

// OIDC configures sign-in through an OpenID Connect provider: the
// authorization code flow with PKCE, state and nonce, the ID token
// verified against the provider's keys, and the account made or updated
// from the token's claims at every sign-in.
type OIDC struct {
	// Issuer is the provider's URL, whose discovery document is at
	// Issuer + "/.well-known/openid-configuration". Empty turns OIDC off.
	Issuer string
	// Name is the provider's name on the sign-in button ("Sign in with
	// Name"). Defaults to the issuer's host.
	Name string
	// ClientID and ClientSecret are drone's client at the provider.
	ClientID, ClientSecret string
	// RedirectURL is where the provider sends people back. Defaults to
	// the console's BaseURL + "/signin/oidc/callback".
	RedirectURL string
	// Scopes are asked for besides "openid". Defaults to profile and email.
	Scopes []string
	// NameClaim gives the account's name. Defaults to preferred_username.
	NameClaim string
	// DisplayNameClaim gives the name the timeline shows. Defaults to name.
	DisplayNameClaim string
	// RolesClaim holds the values that Roles maps to console roles
	// (web:group:ROLE). Defaults to groups.
	RolesClaim string
	// Roles maps a value of RolesClaim to a console role.
	Roles map[string]string
	// ClearanceClaim holds the values that Clearances maps to a TLP
	// clearance; the highest one mapped wins. Defaults to RolesClaim.
	ClearanceClaim string
	// Clearances maps a value of ClearanceClaim to a TLP level.
	Clearances map[string]string
	// DefaultClearance is the clearance of a person none of whose values
	// is in Clearances. Defaults to the framework's lowest TLP.
	DefaultClearance string
}

// On reports whether OIDC sign-in is configured.
func (o OIDC) On() bool { return o.Issuer != "" }

func (o OIDC) withDefaults(baseURL string) OIDC {
	if o.Name == "" {
		if u, err := url.Parse(o.Issuer); err == nil && u.Host != "" {
			o.Name = u.Host
		} else {
			o.Name = o.Issuer
		}
	}
	if o.RedirectURL == "" && baseURL != "" {
		o.RedirectURL = strings.TrimRight(baseURL, "/") + oidcCallbackPath
	}
	if o.Scopes == nil {
		o.Scopes = []string{"profile", "email"}
	}
	if o.NameClaim == "" {
		o.NameClaim = "preferred_username"
	}
	if o.DisplayNameClaim == "" {
		o.DisplayNameClaim = "name"
	}
	if o.RolesClaim == "" {
		o.RolesClaim = "groups"
	}
	if o.ClearanceClaim == "" {
		o.ClearanceClaim = o.RolesClaim
	}
	return o
}

// OIDC sign-in paths.
const (
	oidcStartPath    = "/signin/oidc"
	oidcCallbackPath = "/signin/oidc/callback"
	oidcCookie       = "drone_oidc"
	oidcValidity     = 10 * time.Minute
)

// OIDCPrefix starts the PasswordHash of an account that signs in through
// OpenID Connect: "oidc:" + issuer + " " + subject. No password verifies
// against it (it is no argon2id hash), and it binds the account to the one
// person of the one provider.
const OIDCPrefix = "oidc:"

// IsOIDC reports whether acc signs in through OpenID Connect.
func IsOIDC(acc *drone.Account) bool { return strings.HasPrefix(acc.PasswordHash, OIDCPrefix) }

// oidcSignIn is the OpenID Connect way to sign in. The provider's
// discovery document is read at the first sign-in, and again after a
// failure, so that drone serve starts while the provider is away.
type oidcSignIn struct {
	cfg OIDC

	mu       sync.Mutex
	provider *oidc.Provider
}

func (s *oidcSignIn) discover(ctx context.Context) (*oidc.Provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider != nil {
		return s.provider, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, s.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("reading the OpenID Connect discovery document of %s: %w", s.cfg.Issuer, err)
	}
	s.provider = p
	return p, nil
}

func (s *oidcSignIn) oauth(p *oidc.Provider, redirect string) *oauth2.Config {
	return &oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirect, Scopes: append([]string{oidc.ScopeOpenID}, s.cfg.Scopes...)}
}

// oidcRequest is what the browser keeps, in a short-lived HttpOnly cookie,
// between leaving for the provider and coming back: the callback checks
// that the answer is for this browser's request (state), that the token
// is for it (nonce), and proves the code is its own (PKCE verifier).
type oidcRequest struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
	Redirect string `json:"r"`
}

// redirectURL is where the provider sends the browser back.
func (c *Console) redirectURL(r *http.Request) string {
	if c.oidc.cfg.RedirectURL != "" {
		return c.oidc.cfg.RedirectURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + oidcCallbackPath
}

// oidcStart sends the browser to the provider.
func (c *Console) oidcStart(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	p, err := c.oidc.discover(r.Context())
	if err != nil {
		c.log.Warn("web console: OpenID Connect provider unreachable", "err", err)
		c.render(w, r, nil, http.StatusBadGateway, "signin", "Sign in", c.signInData(signInData{Next: next,
			Error: fmt.Sprintf("%s cannot be reached just now: try again in a moment, or sign in with a password.", c.oidc.cfg.Name)}))
		return
	}
	req := oidcRequest{Verifier: oauth2.GenerateVerifier(), Next: next, Redirect: c.redirectURL(r)}
	if req.State, err = randomToken(); err == nil {
		req.Nonce, err = randomToken()
	}
	if err != nil {
		c.internal(w, r, nil, err)
		return
	}
	b, err := json.Marshal(req)
	if err != nil {
		c.internal(w, r, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: oidcStartPath,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteLaxMode, MaxAge: int(oidcValidity.Seconds())})
	to := c.oidc.oauth(p, req.Redirect).AuthCodeURL(req.State, oidc.Nonce(req.Nonce), oauth2.S256ChallengeOption(req.Verifier))
	http.Redirect(w, r, to, http.StatusFound)
}

// oidcRefusal is a sign-in the console refuses: what the person reads,
// and the cause for the log.
type oidcRefusal struct {
	msg   string
	cause error
}

func (e *oidcRefusal) Error() string { return e.msg + ": " + fmt.Sprint(e.cause) }

func refuse(msg string, cause error) error { return &oidcRefusal{msg: msg, cause: cause} }

// oidcCallback takes the provider's answer: it checks the state, redeems
// the code with the PKCE verifier, verifies the ID token (signature,
// issuer, audience, expiry) and its nonce, makes or updates the account
// from the claims and signs it in.
func (c *Console) oidcCallback(w http.ResponseWriter, r *http.Request) {
	// The request cookie is spent whatever happens.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: oidcStartPath, MaxAge: -1, HttpOnly: true,
		Secure: c.secure(r), SameSite: http.SameSiteLaxMode})
	now := c.now()
	if !c.limits.allow("ip:"+clientIP(r), now, ipRate, ipBurst) {
		c.render(w, r, nil, http.StatusTooManyRequests, "signin", "Sign in",
			c.signInData(signInData{Error: "Too many sign-in attempts. Wait a minute and try again."}))
		return
	}
	acc, next, err := c.oidcAccount(r)
	if err != nil {
		var ref *oidcRefusal
		if !errors.As(err, &ref) {
			c.internal(w, r, nil, err)
			return
		}
		c.log.Warn("web console: OpenID Connect sign-in refused", "reason", ref.msg, "err", ref.cause, "ip", clientIP(r))
		c.render(w, r, nil, http.StatusUnauthorized, "signin", "Sign in", c.signInData(signInData{Next: next, Error: ref.msg}))
		return
	}
	if err := c.beginSession(r.Context(), w, r, acc); err != nil {
		c.internal(w, r, nil, err)
		return
	}
	c.log.Info("web console: signed in", "name", acc.Name, "via", "oidc", "roles", acc.Roles,
		"clearance", acc.Clearance, "ip", clientIP(r))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) oidcAccount(r *http.Request) (*drone.Account, string, error) {
	ctx := r.Context()
	name := c.oidc.cfg.Name
	var req oidcRequest
	ck, err := r.Cookie(oidcCookie)
	if err != nil {
		return nil, "/", refuse("This sign-in was not started here, or took longer than 10 minutes: start again.", err)
	}
	if b, err := base64.RawURLEncoding.DecodeString(ck.Value); err != nil || json.Unmarshal(b, &req) != nil {
		return nil, "/", refuse("This sign-in was not started here: start again.", errors.New("unreadable request cookie"))
	}
	next := safeNext(req.Next)
	q := r.URL.Query()
	if q.Get("state") == "" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(req.State)) != 1 {
		return nil, next, refuse(fmt.Sprintf("%s's answer is not for the sign-in this browser started (state differs): "+
			"start again.", name), errors.New("state mismatch"))
	}
	if e := q.Get("error"); e != "" {
		return nil, next, refuse(fmt.Sprintf("%s refused the sign-in (%s).", name, strings.TrimSpace(e+" "+q.Get("error_description"))),
			errors.New(e))
	}
	p, err := c.oidc.discover(ctx)
	if err != nil {
		return nil, next, refuse(fmt.Sprintf("%s cannot be reached just now: try again in a moment.", name), err)
	}
	tok, err := c.oidc.oauth(p, req.Redirect).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(req.Verifier))
	if err != nil {
		return nil, next, refuse(fmt.Sprintf("%s did not accept drone's code (the code, client or PKCE verifier): start again.", name), err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, next, refuse(fmt.Sprintf("%s sent no ID token.", name), errors.New("no id_token"))
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: c.oidc.cfg.ClientID, Now: c.now}).Verify(ctx, raw)
	if err != nil {
		return nil, next, refuse(tokenProblem(name, err), err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(req.Nonce)) != 1 {
		return nil, next, refuse(fmt.Sprintf("The ID token from %s is not for this sign-in (nonce differs): refused.", name),
			errors.New("nonce mismatch"))
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, next, refuse(fmt.Sprintf("The ID token from %s is unreadable.", name), err)
	}
	acc, err := c.oidcSave(ctx, idt.Issuer, idt.Subject, claims)
	return acc, next, err
}

// tokenProblem says in plain words why an ID token failed verification.
func tokenProblem(provider string, err error) string {
	var expired *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &expired):
		return fmt.Sprintf("The ID token from %s has expired: sign in again.", provider)
	case strings.Contains(msg, "audience"):
		return fmt.Sprintf("The ID token from %s was issued for another application (audience): refused.", provider)
	case strings.Contains(msg, "signature"):
		return fmt.Sprintf("The ID token's signature does not match %s's keys: refused.", provider)
	case strings.Contains(msg, "issued by a different provider"):
		return fmt.Sprintf("The ID token was not issued by %s (issuer): refused.", provider)
	}
	return fmt.Sprintf("The ID token from %s could not be verified: refused.", provider)
}

// oidcSave makes the account of the person the claims describe, or
// updates it from them: display name, roles and clearance follow the
// provider at every sign-in.
func (c *Console) oidcSave(ctx context.Context, issuer, subject string, claims map[string]any) (*drone.Account, error) {
	cfg, prov := c.oidc.cfg, c.oidc.cfg.Name
	raw, _ := claims[cfg.NameClaim].(string)
	name := NormaliseName(raw)
	if err := CheckName(name); err != nil {
		return nil, refuse(fmt.Sprintf("%s's claim %s gives no usable account name (%q).", prov, cfg.NameClaim, raw), err)
	}
	display, _ := claims[cfg.DisplayNameClaim].(string)
	roles := []string{}
	for _, v := range claimValues(claims[cfg.RolesClaim]) {
		if role, ok := cfg.Roles[v]; ok && !slices.Contains(roles, role) {
			roles = append(roles, role)
		}
	}
	slices.Sort(roles)
	fw := c.svc.Framework
	clearance, best := cfg.DefaultClearance, fw.TLPRank(cfg.DefaultClearance)
	if best < 0 && len(fw.TLP) > 0 {
		clearance, best = fw.TLP[0], 0
	}
	for _, v := range claimValues(claims[cfg.ClearanceClaim]) {
		if level, ok := cfg.Clearances[v]; ok {
			if r := fw.TLPRank(level); r > best {
				clearance, best = fw.TLP[r], r
			}
		}
	}
	marker := OIDCPrefix + issuer + " " + subject
	now := c.now().UTC()
	acc, err := c.accounts.Account(ctx, name)
	switch {
	case drone.ErrorCode(err) == drone.ENOTFOUND:
		acc = &drone.Account{Name: name, DisplayName: strings.TrimSpace(display), PasswordHash: marker, Roles: roles,
			Clearance: clearance, CreatedAt: now, UpdatedAt: now}
		if err := c.accounts.CreateAccount(ctx, *acc); err != nil {
			return nil, err
		}
		c.log.Info("web console: account made from OpenID Connect", "name", name, "issuer", issuer, "subject", subject)
		return acc, nil
	case err != nil:
		return nil, err
	case acc.PasswordHash != marker:
		return nil, refuse(fmt.Sprintf("The account %s exists already and does not belong to this %s identity: "+
			"an administrator must rename or remove it first.", name, prov), errors.New("account bound elsewhere"))
	case acc.Disabled:
		return nil, refuse(fmt.Sprintf("The account %s is disabled.", name), errors.New("disabled"))
	}
	acc.DisplayName, acc.Roles, acc.Clearance, acc.UpdatedAt = strings.TrimSpace(display), roles, clearance, now
	if err := c.accounts.SaveAccount(ctx, *acc); err != nil {
		return nil, err
	}
	return acc, nil
}

// claimValues reads a claim as a list of strings: an array, or one string
// of values parted by spaces or commas.
func claimValues(v any) []string {
	switch v := v.(type) {
	case string:
		return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
