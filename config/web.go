package config

import (
	"fmt"
	"net/url"
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
func (w Web) check() []drone.Problem {
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
	if d := w.WithDefaults(); d.IdleTimeout > d.SessionLifetime {
		p = append(p, drone.Problem{Path: "web.idle_timeout", Message: "must not be longer than web.session_lifetime"})
	}
	return p
}
