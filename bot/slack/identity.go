package slack

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/ttp0/drone/drone"
)

// Group cache timing: how long a request waits for the very first load,
// and how soon a failed load is tried again.
const (
	firstLoadWait = time.Second
	retryFailed   = 10 * time.Second
)

// groupCache keeps which user groups each user belongs to, so that roles
// can name groups ("slack:group:S123") without a Web API call per request:
// a stale cache is served while a fresh one loads in the background.
type groupCache struct {
	h       *Handler
	ttl     time.Duration
	enabled bool // some role names a Slack group

	mu      sync.Mutex
	byUser  map[string][]string
	loaded  time.Time
	retryAt time.Time
	loading chan struct{} // closed when the running load ends; nil when none runs
}

func newGroupCache(h *Handler, ttl time.Duration, enabled bool) *groupCache {
	return &groupCache{h: h, ttl: ttl, enabled: enabled}
}

// rolesNameGroups reports whether any role has a Slack group among its members.
func rolesNameGroups(roles drone.Roles) bool {
	for _, r := range roles {
		for _, m := range r.Members {
			if strings.HasPrefix(strings.ToLower(m), "slack:group:") {
				return true
			}
		}
	}
	return false
}

// of returns the user's groups. Only the first load is waited for, and
// briefly: an answer to Slack must not wait on Slack.
func (g *groupCache) of(ctx context.Context, user string) []string {
	if !g.enabled || user == "" {
		return nil
	}
	now := time.Now()
	g.mu.Lock()
	stale := g.loaded.IsZero() || now.Sub(g.loaded) >= g.ttl
	if stale && g.loading == nil && !now.Before(g.retryAt) {
		g.loading = make(chan struct{})
		g.h.later("loading user groups", g.load)
	}
	wait, loaded := g.loading, !g.loaded.IsZero()
	groups := g.byUser[user]
	g.mu.Unlock()
	if loaded || wait == nil {
		return groups
	}
	t := time.NewTimer(firstLoadWait)
	defer t.Stop()
	select {
	case <-wait:
	case <-t.C:
	case <-ctx.Done():
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.byUser[user]
}

// load reads every user group with its members (usergroups.list).
func (g *groupCache) load(ctx context.Context) error {
	list, err := g.h.api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.loading)
	g.loading = nil
	if err != nil {
		g.retryAt = time.Now().Add(retryFailed)
		return fmt.Errorf("listing user groups: %w", err)
	}
	by := map[string][]string{}
	for _, grp := range list {
		for _, u := range grp.Users {
			by[u] = append(by[u], grp.ID)
		}
	}
	g.byUser, g.loaded = by, time.Now()
	return nil
}

// mention is a user mention as Slack escapes it: <@U123> or <@U123|name>.
var mention = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^>]*)?>`)

// identities turns mentions into drone identities ("lead <@U123|ann>"
// becomes "lead slack:U123"), the form roles and leads use.
func identities(text string) string {
	return mention.ReplaceAllString(text, "slack:$1")
}

// slackIdentity finds drone identities of Slack users in text.
var slackIdentity = regexp.MustCompile(`\bslack:([UW][A-Z0-9]{2,})\b`)

// mentions turns drone identities of Slack users back into mentions, so
// that "led by slack:U123" reads as the user's name in Slack.
func mentions(text string) string {
	return slackIdentity.ReplaceAllString(text, "<@$1>")
}
