package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/time/rate"

	"github.com/ttp0/drone/drone"
)

// Authenticator turns what a person typed on the sign-in page into their
// account. Passwords is the built-in one; OpenID Connect (oidc.go) maps an
// ID token's claims to an account in its own handlers, since it takes two
// requests, and starts the same session (Console.beginSession), so nothing
// else changes.
type Authenticator interface {
	// Authenticate returns the account of name when password is its
	// password, and errBadCredentials otherwise (whether or not the
	// account exists, so that the answer says nothing of which).
	Authenticate(ctx context.Context, name, password string) (*drone.Account, error)
}

// errBadCredentials is the one answer to a wrong name or password.
var errBadCredentials = errors.New("wrong name or password")

// Passwords authenticates against the accounts' password hashes.
type Passwords struct{ Accounts drone.Accounts }

var _ Authenticator = Passwords{}

// dummyHash is verified when the account does not exist, so that a wrong
// name takes as long as a wrong password. It is made at the first sign-in,
// not at start: argon2id costs every drone command ~60 ms otherwise.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("not the password of anyone at all")
	if err != nil {
		panic("web: hashing: " + err.Error())
	}
	return h
})

// Authenticate implements Authenticator.
func (p Passwords) Authenticate(ctx context.Context, name, password string) (*drone.Account, error) {
	acc, err := p.Accounts.Account(ctx, NormaliseName(name))
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		VerifyPassword(dummyHash(), password)
		return nil, errBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if !VerifyPassword(acc.PasswordHash, password) || acc.Disabled {
		return nil, errBadCredentials
	}
	return acc, nil
}

// Argon2id parameters: the second set OWASP recommends (19 MiB, 2 passes,
// one lane), which takes tens of milliseconds.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// HashPassword returns the argon2id hash of password with a fresh random
// salt, in PHC string form.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("making a salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches a hash from
// HashPassword, comparing in constant time. The hash's own parameters are
// used, so that stronger ones later still verify older hashes.
func VerifyPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<21 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

// CheckPassword says what is wrong with a new password, or returns nil.
func CheckPassword(name, password string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return fmt.Errorf("a password needs at least %d characters", MinPasswordLength)
	case len(password) > 1024:
		return errors.New("a password may have at most 1024 bytes")
	case strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(name)):
		return errors.New("the password must not be the account's name")
	}
	return nil
}

// NormaliseName returns the form account names are kept in: trimmed, lower case.
func NormaliseName(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// CheckName says what is wrong with a new account name, or returns nil.
func CheckName(name string) error {
	if name == "" || len(name) > 64 {
		return errors.New("a name needs 1 to 64 characters")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' || r == '@') {
			return fmt.Errorf("%q may hold only letters, digits and . - _ @", name)
		}
	}
	return nil
}

// user is the signed-in person of a request.
type user struct {
	acc   *drone.Account
	sess  *drone.Session
	actor drone.Actor
	rank  int // TLP clearance, as a rank of the framework's TLP list
	admin bool
}

// Name is how pages name the user.
func (u *user) Name() string { return u.actor.String() }

// Clearance is the user's TLP clearance.
func (u *user) Clearance() string { return u.acc.Clearance }

// OIDC reports whether the user signs in through OpenID Connect.
func (u *user) OIDC() bool { return IsOIDC(u.acc) }

// Admin reports whether the user administers the console.
func (u *user) Admin() bool { return u.admin }

// Actor returns the drone actor of a console account.
func Actor(acc *drone.Account) drone.Actor {
	return drone.Actor{Platform: Platform, ID: acc.Name, Name: acc.DisplayName, Groups: acc.Roles}
}

func (c *Console) userOf(acc *drone.Account, sess *drone.Session) *user {
	rank := c.svc.Framework.TLPRank(acc.Clearance)
	return &user{acc: acc, sess: sess, actor: Actor(acc), rank: rank, admin: slices.Contains(acc.Roles, drone.RoleAdmin)}
}

// can reports whether the user holds permission p through drone's roles.
func (u *user) can(c *Console, p drone.Permission) bool { return c.svc.Roles.Allows(u.actor, p) }

// sees reports whether an incident is within the user's TLP clearance. An
// incident whose TLP the framework does not know counts as the highest. A
// private one (drone.Service.IsPrivate) needs the highest clearance (RED),
// unless the user is one of its people (its reporter, lead, a role holder
// or a member let in), who still needs a clearance for its own TLP.
func (c *Console) sees(u *user, inc *drone.Incident) bool {
	if u.rank < 0 || c.tlpRank(inc.TLP) > u.rank {
		return false
	}
	return u.rank >= c.tlpRank(c.svc.Framework.Sensitivity(inc)) || inc.IsMember(u.actor.Identity())
}

func (c *Console) tlpRank(tlp string) int {
	r := c.svc.Framework.TLPRank(tlp)
	if r < 0 {
		return len(c.svc.Framework.TLP)
	}
	return r
}

// Session cookies: "__Host-" when Secure, which binds the cookie to this
// host and path "/".
const (
	cookieName       = "drone_session"
	secureCookieName = "__Host-drone_session"
)

func (c *Console) secure(r *http.Request) bool {
	return r.TLS != nil || c.cfg.SecureCookies || strings.HasPrefix(c.cfg.BaseURL, "https://")
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// beginSession signs acc in: a new session, its cookie, and a fresh CSRF token.
func (c *Console) beginSession(ctx context.Context, w http.ResponseWriter, r *http.Request, acc *drone.Account) error {
	id, err := randomToken()
	if err != nil {
		return err
	}
	csrf, err := randomToken()
	if err != nil {
		return err
	}
	now := c.now().UTC()
	if err := c.accounts.CreateSession(ctx, drone.Session{IDHash: hashToken(id), Account: acc.Name, CSRF: csrf,
		CreatedAt: now, SeenAt: now}); err != nil {
		return err
	}
	name := cookieName
	if c.secure(r) {
		name = secureCookieName
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: id, Path: "/", HttpOnly: true, Secure: c.secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: int(c.cfg.SessionLifetime.Seconds())})
	return nil
}

func sessionCookie(r *http.Request) string {
	for _, name := range []string{secureCookieName, cookieName} {
		if ck, err := r.Cookie(name); err == nil && ck.Value != "" {
			return ck.Value
		}
	}
	return ""
}

// currentUser returns the signed-in user of r, or nil: no cookie, an
// unknown, idle or expired session, or a disabled account.
func (c *Console) currentUser(r *http.Request) (*user, error) {
	id := sessionCookie(r)
	if id == "" {
		return nil, nil
	}
	ctx := r.Context()
	sess, err := c.accounts.Session(ctx, hashToken(id))
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := c.now().UTC()
	if now.Sub(sess.CreatedAt) > c.cfg.SessionLifetime || now.Sub(sess.SeenAt) > c.cfg.IdleTimeout {
		_, err := c.accounts.DeleteSessions(ctx, drone.SessionFilter{IDHash: sess.IDHash})
		return nil, err
	}
	acc, err := c.accounts.Account(ctx, sess.Account)
	if drone.ErrorCode(err) == drone.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if acc.Disabled {
		return nil, nil
	}
	// A write a minute at most per session, not one per request.
	if now.Sub(sess.SeenAt) > time.Minute {
		if err := c.accounts.TouchSession(ctx, sess.IDHash, now); err != nil {
			return nil, err
		}
	}
	return c.userOf(acc, sess), nil
}

// handlerFunc is a console handler for a signed-in user.
type handlerFunc func(w http.ResponseWriter, r *http.Request, u *user)

// signedIn lets only signed-in users through (others go to the sign-in
// page, and come back after) and checks the session's CSRF token on every
// form posted.
func (c *Console) signedIn(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := c.currentUser(r)
		if err != nil {
			c.internal(w, r, nil, err)
			return
		}
		if u == nil {
			if r.Method == http.MethodGet && r.Header.Get("Accept") == "text/event-stream" {
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
			next := "/"
			if r.Method == http.MethodGet {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			token := r.PostFormValue("csrf")
			if subtle.ConstantTimeCompare([]byte(token), []byte(u.sess.CSRF)) != 1 {
				c.fail(w, r, u, http.StatusForbidden, "This form has expired or did not come from this console. Reload the page and try again.")
				return
			}
		}
		h(w, r, u)
	})
}

// admin lets only console administrators through.
func (c *Console) admin(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, u *user) {
		if !u.admin {
			c.fail(w, r, u, http.StatusForbidden, "This page is for console administrators (console role admin).")
			return
		}
		h(w, r, u)
	}
}

// safeNext returns next when it is a path on this console, and "/" otherwise.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.HasPrefix(next, "/signin") {
		return "/"
	}
	return next
}

type signInData struct {
	Name, Next, Error string
	// Provider names the OpenID Connect provider, when there is one.
	Provider string
}

// signInData completes d with what every sign-in page shows.
func (c *Console) signInData(d signInData) signInData {
	if c.oidc != nil {
		d.Provider = c.oidc.cfg.Name
	}
	return d
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if u, err := c.currentUser(r); err == nil && u != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.render(w, r, nil, http.StatusOK, "signin", "Sign in", c.signInData(signInData{Next: safeNext(r.URL.Query().Get("next"))}))
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	name, password := NormaliseName(r.PostFormValue("name")), r.PostFormValue("password")
	d := c.signInData(signInData{Name: name, Next: safeNext(r.PostFormValue("next"))})
	now := c.now()
	// Both limits are spent by every attempt, so that neither many names
	// from one address nor one name from many addresses gets far.
	okIP := c.limits.allow("ip:"+clientIP(r), now, ipRate, ipBurst)
	okName := c.limits.allow("name:"+name, now, nameRate, nameBurst)
	if !okIP || !okName {
		d.Error = "Too many sign-in attempts. Wait a minute and try again."
		c.log.Warn("web console: sign-in rate limited", "name", name, "ip", clientIP(r))
		c.render(w, r, nil, http.StatusTooManyRequests, "signin", "Sign in", d)
		return
	}
	acc, err := c.auth.Authenticate(r.Context(), name, password)
	if errors.Is(err, errBadCredentials) {
		d.Error = "Wrong name or password."
		c.log.Info("web console: sign-in refused", "name", name, "ip", clientIP(r))
		c.render(w, r, nil, http.StatusUnauthorized, "signin", "Sign in", d)
		return
	}
	if err != nil {
		c.internal(w, r, nil, err)
		return
	}
	if err := c.beginSession(r.Context(), w, r, acc); err != nil {
		c.internal(w, r, nil, err)
		return
	}
	c.log.Info("web console: signed in", "name", acc.Name, "ip", clientIP(r))
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, u *user) {
	if _, err := c.accounts.DeleteSessions(r.Context(), drone.SessionFilter{IDHash: u.sess.IDHash}); err != nil {
		c.internal(w, r, u, err)
		return
	}
	for _, name := range []string{cookieName, secureCookieName} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
			Secure: name == secureCookieName || c.secure(r), SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// clientIP is the address the request came from. Behind a proxy that is
// the proxy: drone trusts no forwarding header it cannot check.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Sign-in limits: per address, a burst of 10 then one every 6 seconds;
// per account name, a burst of 5 then one every 20 seconds.
var (
	ipRate    = rate.Every(6 * time.Second)
	nameRate  = rate.Every(20 * time.Second)
	ipBurst   = 10
	nameBurst = 5
)

// limiter keeps a token bucket per key (an address, an account name).
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newLimiter() *limiter { return &limiter{buckets: map[string]*bucket{}} }

func (l *limiter) allow(key string, now time.Time, r rate.Limit, burst int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(r, burst)}
		l.buckets[key] = b
	}
	b.last = now
	return b.lim.AllowN(now, 1)
}

// prune forgets the buckets unused for long enough to be full again.
func (l *limiter) prune(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, b := range l.buckets {
		if now.Sub(b.last) > 10*time.Minute {
			delete(l.buckets, k)
		}
	}
}

// setupToken is the one-time token of the link that creates the first
// administrator: it lives in the memory of the drone serve that printed
// it, for an hour, and is spent by its first successful use.
type setupToken struct {
	mu      sync.Mutex
	hash    string
	expires time.Time
}

// setupValidity is how long a set-up link works.
const setupValidity = time.Hour

func (s *setupToken) issue(now time.Time) (string, error) {
	token, err := randomToken()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hash, s.expires = hashToken(token), now.Add(setupValidity)
	return token, nil
}

func (s *setupToken) valid(token string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.validLocked(token, now)
}

func (s *setupToken) validLocked(token string, now time.Time) bool {
	return s.hash != "" && token != "" && now.Before(s.expires) &&
		subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(s.hash)) == 1
}

// spend uses the token up and returns a function that gives it back, for
// when what it was spent on failed.
func (s *setupToken) spend(token string, now time.Time) (undo func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.validLocked(token, now) {
		return nil, false
	}
	hash := s.hash
	s.hash = ""
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.hash = hash
	}, true
}

type setupData struct {
	Token, Name, DisplayName string
	Errors                   map[string]string
	Clearance                string
}

func (c *Console) setupPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if !c.setup.valid(token, c.now()) {
		c.fail(w, r, nil, http.StatusNotFound, "This set-up link is not valid: it was used, it expired (links last an hour), "+
			"or drone serve restarted. Restart drone serve for a new link, or create an account with: drone user add NAME --role admin")
		return
	}
	c.render(w, r, nil, http.StatusOK, "setup", "Create the first administrator",
		setupData{Token: token, Clearance: c.topTLP()})
}

func (c *Console) topTLP() string {
	if n := len(c.svc.Framework.TLP); n > 0 {
		return c.svc.Framework.TLP[n-1]
	}
	return ""
}

func (c *Console) setupSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	token := r.PostFormValue("token")
	now := c.now()
	d := setupData{Token: token, Name: NormaliseName(r.PostFormValue("name")),
		DisplayName: strings.TrimSpace(r.PostFormValue("display_name")), Errors: map[string]string{}, Clearance: c.topTLP()}
	if !c.setup.valid(token, now) {
		c.fail(w, r, nil, http.StatusNotFound, "This set-up link is not valid: it was used, it expired, or drone serve restarted.")
		return
	}
	password := r.PostFormValue("password")
	if err := CheckName(d.Name); err != nil {
		d.Errors["name"] = err.Error()
	}
	if err := CheckPassword(d.Name, password); err != nil {
		d.Errors["password"] = err.Error()
	}
	// Said even when the password is wrong anyway, so that both get fixed at once.
	if password != r.PostFormValue("confirm") {
		d.Errors["confirm"] = "The two passwords differ."
	}
	if len(d.Errors) > 0 {
		c.render(w, r, nil, http.StatusUnprocessableEntity, "setup", "Create the first administrator", d)
		return
	}
	accs, err := c.accounts.ListAccounts(r.Context())
	if err != nil {
		c.internal(w, r, nil, err)
		return
	}
	if len(accs) > 0 {
		c.fail(w, r, nil, http.StatusConflict, "An account exists already: sign in, or ask an administrator for one.")
		return
	}
	undo, ok := c.setup.spend(token, now)
	if !ok {
		c.fail(w, r, nil, http.StatusNotFound, "This set-up link is not valid: it was used, it expired, or drone serve restarted.")
		return
	}
	hash, err := HashPassword(password)
	if err != nil {
		undo()
		c.internal(w, r, nil, err)
		return
	}
	acc := drone.Account{Name: d.Name, DisplayName: d.DisplayName, PasswordHash: hash, Roles: []string{drone.RoleAdmin},
		Clearance: d.Clearance, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	if err := c.accounts.CreateAccount(r.Context(), acc); err != nil {
		undo()
		c.internal(w, r, nil, err)
		return
	}
	c.log.Info("web console: first administrator created", "name", acc.Name, "ip", clientIP(r))
	if err := c.beginSession(r.Context(), w, r, &acc); err != nil {
		c.internal(w, r, nil, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
