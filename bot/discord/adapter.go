package discord

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/ttp0/drone/bot/chat"
	"github.com/ttp0/drone/drone"
)

// External reference keys the adapter records on incidents.
const (
	KeyChannel = "discord.channel" // the incident's channel or thread
	KeyMessage = "discord.message" // the notification message in it
	KeyGuild   = "discord.guild"
)

// Adapter connects drone's Service to a Discord application: it answers
// interactions (Handler for HTTP, Run for the gateway), plans the work its
// incidents cause on Discord (Plan) and carries it out (Register's workers).
type Adapter struct {
	cfg     Config
	svc     *drone.Service
	router  chat.Router
	session *discordgo.Session
	limiter *transport
	verify  Verifier
	log     *slog.Logger

	// DeferAfter is how long the work of an interaction may run before it
	// is answered with a deferral, then edited with the result. Defaults
	// to 2 seconds, within Discord's 3.
	DeferAfter time.Duration
	// Now returns the current time for notices. Defaults to time.Now.
	Now func() time.Time

	work    tracker
	files   *http.Client   // attachments of messages put on the timeline
	handled atomic.Int64   // reaction and pin events seen and queued (or not ours), for tests
	notices [64]sync.Mutex // notice edits of one incident, one at a time
	botMu   sync.Mutex
	botID   string
}

// New returns an Adapter for an enabled configuration. Unset settings of
// cfg take their defaults (a configuration loaded by package config has
// them already), so that a Config built by hand works too.
func New(cfg Config, svc *drone.Service, log *slog.Logger) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	s, tr, err := newSession(cfg)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{cfg: cfg, svc: svc, router: chat.Router{Service: svc, ChannelKey: KeyChannel},
		session: s, limiter: tr, log: log.With("integration", "discord"), DeferAfter: 2 * time.Second,
		files: &http.Client{Timeout: 30 * time.Second}}
	if cfg.PublicKey != "" {
		if a.verify.Key, err = ParsePublicKey(cfg.PublicKey); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Session returns the discordgo session the adapter talks to Discord with.
func (a *Adapter) Session() *discordgo.Session { return a.session }

// Close waits for the answers still being worked on (deferred edits) and
// refuses new interactions.
func (a *Adapter) Close() { a.work.close() }

func (a *Adapter) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// tracker counts background work so that shutdown can wait for it.
type tracker struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// start reports whether work may start, and counts it when it may.
func (t *tracker) start() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.wg.Add(1)
	return true
}

func (t *tracker) done() { t.wg.Done() }

func (t *tracker) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.wg.Wait()
}

// noticeLock serialises the notice edits of one incident, so that an older
// rendering never lands after a newer one.
func (a *Adapter) noticeLock(incidentID string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(incidentID))
	return &a.notices[h.Sum32()%uint32(len(a.notices))]
}

// botActor is who the adapter's own changes (SetExternal) are made by.
var botActor = drone.Actor{Platform: "discord", ID: "drone", Name: "drone on Discord"}

// actorOf returns who made an interaction: a guild member with its roles,
// which roles match as "discord:group:<role id>", or a user in a DM.
func actorOf(i *discordgo.Interaction) (drone.Actor, bool) {
	var u *discordgo.User
	var roles []string
	nick := ""
	if i.Member != nil && i.Member.User != nil {
		u, roles, nick = i.Member.User, i.Member.Roles, i.Member.Nick
	} else if i.User != nil {
		u = i.User
	}
	if u == nil || !isSnowflake(u.ID) {
		return drone.Actor{}, false
	}
	name := nick
	for _, n := range []string{u.GlobalName, u.Username} {
		if name == "" {
			name = n
		}
	}
	var groups []string
	for _, r := range roles {
		if isSnowflake(r) {
			groups = append(groups, r)
		}
	}
	return drone.Actor{Platform: "discord", ID: u.ID, Name: clip(validUTF8(name), 100), Groups: groups}, true
}

// originOf is where an interaction came from, as a Discord link.
func originOf(i *discordgo.Interaction, messageID string) drone.Origin {
	guild := i.GuildID
	if guild == "" {
		guild = "@me"
	}
	ref := "https://discord.com/channels/" + guild + "/" + i.ChannelID
	if messageID != "" {
		ref += "/" + messageID
	}
	return drone.Origin{Channel: "discord", Ref: ref}
}

// guildOf reads the guild of a Discord origin link, "" when there is none.
func guildOf(o drone.Origin) string {
	if o.Channel != "discord" {
		return ""
	}
	u, err := url.Parse(o.Ref)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.TrimPrefix(u.Path, "/channels/"), "/")
	if len(parts) > 0 && isSnowflake(parts[0]) {
		return parts[0]
	}
	return ""
}

// botUserID returns the bot's own user id, asked of Discord once.
func (a *Adapter) botUserID(ctx context.Context) (string, error) {
	a.botMu.Lock()
	defer a.botMu.Unlock()
	if a.botID != "" {
		return a.botID, nil
	}
	u, err := a.session.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("asking Discord who the bot is: %w", err)
	}
	if !isSnowflake(u.ID) {
		return "", errors.New("asking Discord who the bot is: no id in the answer")
	}
	a.botID = u.ID
	return a.botID, nil
}
