package discord

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// transport carries discordgo's requests to the configured API and keeps
// them within Discord's global rate limit. discordgo computes its endpoint
// URLs once, at start-up, from https://discord.com/api/v9/; the transport
// rewrites that prefix to the configured base (a stand-in in tests, v10 by
// default), so that no package variable of discordgo is ever changed.
type transport struct {
	base    http.RoundTripper
	from    string // discordgo's API prefix
	to      *url.URL
	limiter *window
}

// newTransport returns a transport to apiURL allowing perSecond requests in
// any one second.
func newTransport(apiURL string, perSecond int) (*transport, error) {
	to, err := url.Parse(strings.TrimRight(apiURL, "/") + "/")
	if err != nil || to.Host == "" {
		return nil, fmt.Errorf("discord api_url %q is not a URL", apiURL)
	}
	return &transport{base: http.DefaultTransport, from: discordgo.EndpointAPI, to: to, limiter: newWindow(perSecond)}, nil
}

// RoundTrip rewrites the request's URL to the configured API and waits for
// the global limiter, except for interaction answers, which Discord does not
// count against it (they must beat the 3-second deadline).
func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	u := r.URL.String()
	if rest, ok := strings.CutPrefix(u, t.from); ok {
		nu, err := t.to.Parse(rest)
		if err != nil {
			return nil, fmt.Errorf("rewriting %s: %w", r.URL.Path, err)
		}
		r = r.Clone(r.Context())
		r.URL, r.Host = nu, nu.Host
	}
	if !interactionRoute(r.URL.Path) {
		if err := t.limiter.Wait(r.Context()); err != nil {
			return nil, fmt.Errorf("waiting for Discord's rate limit: %w", err)
		}
	}
	return t.base.RoundTrip(r)
}

// named returns err naming the URL the transport called instead of the one
// discordgo built: net/http's *url.Error and discordgo's RateLimitError
// carry the request as discordgo made it (https://discord.com/api/v9/...),
// before RoundTrip sent it to the configured API. Errors that leave the
// adapter (to the queue, to notify, to the log) pass through it.
func (t *transport) named(err error) error {
	if err == nil {
		return nil
	}
	if s := err.Error(); !strings.Contains(s, t.from) && !strings.Contains(s, "/webhooks/") {
		return err
	}
	return &calledError{err: err, from: t.from, to: t.to.String()}
}

// webhookToken matches the secret part of a webhook or interaction URL
// (/webhooks/{id}/{token}): whoever holds it may post as the webhook.
var webhookToken = regexp.MustCompile(`(/webhooks/[0-9]+/)[^/?"\s]+`)

// redactTokens hides the webhook tokens a text names, so that errors kept
// by the queue and written to the log do not hand them out.
func redactTokens(s string) string { return webhookToken.ReplaceAllString(s, "${1}…") }

// calledError is an error whose text names the URL called; errors.As and
// errors.Is still reach the error underneath.
type calledError struct {
	err      error
	from, to string
}

func (e *calledError) Error() string {
	return redactTokens(strings.ReplaceAll(e.err.Error(), e.from, e.to))
}
func (e *calledError) Unwrap() error { return e.err }

// interactionRoute reports whether a path answers an interaction
// (/interactions/{id}/{token}/callback, /webhooks/{app}/{token}...).
func interactionRoute(path string) bool {
	return strings.Contains(path, "/interactions/") || strings.Contains(path, "/webhooks/")
}

// newSession returns a discordgo session that talks to cfg's API through the
// transport, and leaves 429s and 502s to the caller: the durable queue
// honours their retry_after instead of a sleeping goroutine, and repeats
// nothing blindly. cfg is complete: New and RegisterCommands applied the
// defaults.
func newSession(cfg Config) (*discordgo.Session, *transport, error) {
	s, err := discordgo.New("Bot " + cfg.BotToken)
	if err != nil {
		return nil, nil, fmt.Errorf("creating Discord session: %w", err)
	}
	tr, err := newTransport(cfg.APIURL, cfg.RequestsPerSecond)
	if err != nil {
		return nil, nil, err
	}
	s.Client = &http.Client{Transport: tr, Timeout: 20 * time.Second}
	s.ShouldRetryOnRateLimit = false
	// Nor does discordgo repeat a request Discord answered 502: a POST may
	// have taken effect (a thread started, a message sent), and the queue's
	// retry looks for what it made before making it again.
	s.MaxRestRetries = 0
	// Guilds brings CHANNEL_PINS_UPDATE; reactions put messages on the
	// timeline.
	s.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessageReactions
	s.StateEnabled = false
	return s, tr, nil
}
