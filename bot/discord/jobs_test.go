package discord

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/queue"
)

// TestRateLimitIsHonouredThroughTheQueue makes Discord answer the channel
// creation with a 429 (retry_after 0.4 s): the job is snoozed, not failed,
// and tried again no sooner than Discord asked.
func TestRateLimitIsHonouredThroughTheQueue(t *testing.T) {
	t.Parallel()
	b := setup(t, "http")
	const route = "POST /guilds/{guild}/channels"
	b.dc.Throttle(route, 1, 0.4)
	declare(t, b, "AMBER")
	calls := b.dc.CallsTo(route)
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 201 {
		t.Fatalf("channel creations: %+v", calls)
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < 400*time.Millisecond {
		t.Errorf("tried again after %v; Discord asked for 400ms", gap)
	}
	jobs, err := b.db.Jobs(b.ctx, 10, "completed")
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Kind == KindSpace && j.LastError != "" {
			t.Errorf("a 429 must snooze the job, not fail it: %+v", j)
		}
	}
	c := b.dc.Channel(b.incident(1).External[KeyChannel])
	if denied(c, testGuild) {
		t.Error("an AMBER incident's channel stays visible to the server")
	}
}

// TestJobErrors checks how the queue is steered by Discord's answers.
func TestJobErrors(t *testing.T) {
	t.Parallel()
	rest := func(status int, body string) error {
		return &discordgo.RESTError{Response: &http.Response{StatusCode: status, Status: http.StatusText(status)}, ResponseBody: []byte(body)}
	}
	jobError := func(err error) error { return queue.Steer(classify(err)) }
	var snooze *rivertype.JobSnoozeError
	err := jobError(&discordgo.RateLimitError{RateLimit: &discordgo.RateLimit{TooManyRequests: &discordgo.TooManyRequests{RetryAfter: 1500 * time.Millisecond}}})
	if !errors.As(err, &snooze) || snooze.Duration != 1500*time.Millisecond {
		t.Errorf("429 from discordgo: %v", err)
	}
	err = jobError(rest(429, `{"retry_after": 2.5}`))
	if !errors.As(err, &snooze) || snooze.Duration != 2500*time.Millisecond {
		t.Errorf("429 body: %v", err)
	}
	var cancel *rivertype.JobCancelError
	for _, err := range []error{rest(403, `{"code":50013}`), rest(404, `{}`), drone.Errorf(drone.ENOTFOUND, "gone"),
		drone.Errorf(drone.EINVALID, "no such field")} {
		if !errors.As(jobError(err), &cancel) {
			t.Errorf("%v should cancel the job", err)
		}
	}
	for _, err := range []error{rest(500, ""), rest(408, ""), errors.New("connection reset")} {
		if e := jobError(err); errors.As(e, &cancel) || errors.As(e, &snooze) || e == nil {
			t.Errorf("%v should be retried with backoff, got %v", err, e)
		}
	}
	if jobError(nil) != nil {
		t.Error("nil is success")
	}
}

// TestGlobalLimit checks that REST calls wait for the shared limiter and
// that interaction answers, which Discord does not count, do not.
func TestGlobalLimit(t *testing.T) {
	t.Parallel()
	dc := discordtest.New("tok")
	t.Cleanup(dc.Close)
	s, tr, err := newSession(Config{BotToken: "tok", APIURL: dc.APIURL(), RequestsPerSecond: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.User("@me"); err != nil {
		t.Fatalf("first call: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = s.User("@me", discordgo.WithContext(ctx))
	if err == nil || !strings.Contains(err.Error(), "rate limit") {
		t.Errorf("a second call within the second must wait for the limiter: %v", err)
	}
	if named := tr.named(err).Error(); !strings.Contains(named, dc.APIURL()+"/users/@me") || strings.Contains(named, discordgo.EndpointAPI) {
		t.Errorf("the error must name the URL called, under %s: %s", dc.APIURL(), named)
	}
	i := &discordgo.Interaction{ID: discordtest.NewID(), Token: "tok1"}
	resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "hi"}}
	if err := s.InteractionRespond(i, resp, discordgo.WithContext(ctx)); err != nil {
		t.Errorf("an interaction answer must not wait for the limiter: %v", err)
	}
	if tr.limiter.n != 1 {
		t.Errorf("the window lets %d requests a second through, want 1", tr.limiter.n)
	}
	if calls := dc.CallsTo("GET /users/@me"); len(calls) != 1 || calls[0].Status != 200 {
		t.Errorf("the bot token reaches the stand-in: %+v", calls)
	}
}

var _ river.Worker[spaceArgs] = (*spaceWorker)(nil)

// TestErrorsNameTheURLCalled checks that a 429 read by discordgo, and the
// queue's record of it, name the configured API, not discord.com.
func TestErrorsNameTheURLCalled(t *testing.T) {
	t.Parallel()
	dc, _, m := newMedium(t, "errors")
	dc.Throttle("GET /users/@me", 1, 0.4)
	_, err := m.session.User("@me")
	var rl *discordgo.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("a 429 from discordgo: %v", err)
	}
	named := m.tr.named(err)
	steered := queue.Steer(classify(named))
	var snooze *rivertype.JobSnoozeError
	if !errors.As(steered, &snooze) || snooze.Duration != 400*time.Millisecond {
		t.Errorf("the 429 must snooze the job 400ms: %v", steered)
	}
	if got := named.Error(); !strings.Contains(got, dc.APIURL()+"/users/@me") || strings.Contains(got, "discord.com") {
		t.Errorf("the error names %q; want the configured API %s", got, dc.APIURL())
	}
	if m.tr.named(nil) != nil {
		t.Error("nil stays nil")
	}
}
