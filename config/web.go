package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ttp0/drone/drone"
)

// Web configures the web console that drone serve shows on its HTTP address.
type Web struct {
	// Enabled turns the console on. Defaults to true; DRONE_WEB_ENABLED=false
	// turns it off.
	Enabled *bool `yaml:"enabled"`
	// BaseURL is the console's address as people reach it (behind a proxy,
	// https://drone.example.org); the set-up link is printed with it.
	// Defaults to http:// and the listen address.
	BaseURL string `yaml:"base_url"`
	// SecureCookies forces the Secure attribute on the session cookie even
	// when drone itself serves plain HTTP (TLS ends at a proxy). Cookies are
	// always Secure when the request came over TLS or BaseURL is https.
	// Defaults to false.
	SecureCookies bool `yaml:"secure_cookies"`
	// IdleTimeout ends a session left unused this long. Defaults to 30m.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// SessionLifetime ends a session this long after sign-in, however
	// used. Defaults to 12h.
	SessionLifetime time.Duration `yaml:"session_lifetime"`
	// ViewWindow is how often a view of a TLP:RED incident by one person is
	// recorded on its timeline at most. Defaults to 15m.
	ViewWindow time.Duration `yaml:"view_window"`
	// OIDC adds sign-in through an OpenID Connect provider beside the
	// password form. Off while its issuer is empty.
	OIDC OIDC `yaml:"oidc"`
}

// OIDC configures sign-in through an OpenID Connect provider (web.oidc):
// the authorization code flow with PKCE; the account is made at the first
// sign-in and follows the claims at every sign-in after.
type OIDC struct {
	// Issuer is the provider's URL (its discovery document is below it).
	// Empty, the default, turns OIDC sign-in off.
	Issuer string `yaml:"issuer"`
	// Name is the provider's name on the button "Sign in with NAME".
	// Defaults to the issuer's host.
	Name string `yaml:"name"`
	// ClientID is drone's client at the provider. Required with an issuer.
	ClientID string `yaml:"client_id"`
	// ClientSecret is the client's secret: write ${VAR} or ${file:/path}.
	ClientSecret string `yaml:"client_secret"`
	// RedirectURL is where the provider sends people back, registered at
	// the provider. Defaults to web.base_url + /signin/oidc/callback (or
	// the address the browser used, without a base_url).
	RedirectURL string `yaml:"redirect_url"`
	// Scopes are asked for besides openid. Defaults to [profile, email].
	Scopes []string `yaml:"scopes"`
	// Claims names the claims that give the account's name, display name,
	// roles and clearance.
	Claims OIDCClaims `yaml:"claims"`
	// Roles maps a value of the roles claim to a console role, which
	// drone's roles name as web:group:ROLE ("soc-analysts: responders").
	Roles map[string]string `yaml:"roles"`
	// Clearances maps a value of the clearance claim to a TLP level; the
	// highest mapped wins ("soc-analysts: AMBER").
	Clearances map[string]string `yaml:"clearances"`
	// DefaultClearance is the clearance of someone none of whose values
	// is mapped. Defaults to the framework's lowest TLP (CLEAR).
	DefaultClearance string `yaml:"default_clearance"`
}

// OIDCClaims names the ID token's claims that drone reads.
type OIDCClaims struct {
	// Name gives the account's name. Defaults to preferred_username.
	Name string `yaml:"name"`
	// DisplayName gives the name the timeline shows. Defaults to name.
	DisplayName string `yaml:"display_name"`
	// Roles holds the values that web.oidc.roles maps. Defaults to groups.
	Roles string `yaml:"roles"`
	// Clearance holds the values that web.oidc.clearances maps. Defaults
	// to the roles claim.
	Clearance string `yaml:"clearance"`
}

// On reports whether the console is enabled (it is unless turned off).
func (w Web) On() bool { return w.Enabled == nil || *w.Enabled }

// WithDefaults returns w with every unset duration at its default.
func (w Web) WithDefaults() Web {
	if w.IdleTimeout <= 0 {
		w.IdleTimeout = 30 * time.Minute
	}
	if w.SessionLifetime <= 0 {
		w.SessionLifetime = 12 * time.Hour
	}
	if w.ViewWindow <= 0 {
		w.ViewWindow = 15 * time.Minute
	}
	return w
}

// check returns the problems of the web section.
func (w Web) check(fw drone.Framework) []drone.Problem {
	var p []drone.Problem
	if w.BaseURL != "" {
		u, err := url.Parse(w.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p = append(p, drone.Problem{Path: "web.base_url", Message: fmt.Sprintf("%q must be an http:// or https:// URL", w.BaseURL)})
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"idle_timeout", w.IdleTimeout}, {"session_lifetime", w.SessionLifetime}, {"view_window", w.ViewWindow}} {
		if d.v < 0 {
			p = append(p, drone.Problem{Path: "web." + d.name, Message: "durations must not be negative"})
		}
	}
	p = append(p, w.OIDC.check(fw)...)
	if d := w.WithDefaults(); d.IdleTimeout > d.SessionLifetime {
		p = append(p, drone.Problem{Path: "web.idle_timeout", Message: "must not be longer than web.session_lifetime"})
	}
	return p
}

// check returns the problems of web.oidc.
func (o OIDC) check(fw drone.Framework) []drone.Problem {
	if o.Issuer == "" {
		return nil
	}
	var p []drone.Problem
	for _, u := range []struct{ key, v string }{{"issuer", o.Issuer}, {"redirect_url", o.RedirectURL}} {
		if u.v == "" {
			continue
		}
		if x, err := url.Parse(u.v); err != nil || (x.Scheme != "http" && x.Scheme != "https") || x.Host == "" {
			p = append(p, drone.Problem{Path: "web.oidc." + u.key, Message: fmt.Sprintf("%q must be an http:// or https:// URL", u.v)})
		}
	}
	if o.ClientID == "" {
		p = append(p, drone.Problem{Path: "web.oidc.client_id", Message: "required with an issuer"})
	}
	for k, v := range o.Roles {
		if v == "" || strings.ContainsAny(v, ": ,") {
			p = append(p, drone.Problem{Path: "web.oidc.roles." + k, Message: fmt.Sprintf("%q must be one word, a console role such as responders or admin", v)})
		}
	}
	for k, v := range o.Clearances {
		if _, err := fw.TLPLevel(v); err != nil {
			p = append(p, drone.Problem{Path: "web.oidc.clearances." + k, Message: drone.ErrorMessage(err)})
		}
	}
	if o.DefaultClearance != "" {
		if _, err := fw.TLPLevel(o.DefaultClearance); err != nil {
			p = append(p, drone.Problem{Path: "web.oidc.default_clearance", Message: drone.ErrorMessage(err)})
		}
	}
	return p
}
