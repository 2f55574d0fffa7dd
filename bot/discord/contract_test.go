package discord

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/chattest"
	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/dronetest"
)

// TestContract runs the chat adapters' contract against the Discord
// stand-in, over HTTP interactions (signed requests) and over the gateway.
func TestContract(t *testing.T) {
	chattest.Run(t, []string{"http", "gateway"}, func(t *testing.T, mode string) chattest.Chat {
		return discordChat{setup(t, mode)}
	})
}

// discordChat drives drone the way Discord does: application commands,
// modals, the message menu, all as interactions.
type discordChat struct{ b *bundle }

var _ chattest.Chat = discordChat{}

func (c discordChat) Harness() *dronetest.Harness { return c.b.h }
func (c discordChat) Responder() chattest.User    { return user(c.b.alice) }
func (c discordChat) Outsider() chattest.User     { return user(c.b.bob) }

func user(p discordtest.Place) chattest.User {
	return chattest.User{ID: p.Member.ID, Name: p.Member.Name}
}

func (c discordChat) AddToTimeline(u chattest.User, text string) (string, time.Time) {
	c.b.t.Helper()
	p := c.place(u, nil) // a channel that is no incident's
	msg := c.b.dc.AddUserMessage(p.ChannelID, c.b.alice.Member, text, nil)
	return c.answer(p.TimelineMenu(msg)), discordtest.SnowflakeTime(msg.ID)
}

// place is where u acts: the channel of inc when there is one.
func (c discordChat) place(u chattest.User, inc *drone.Incident) discordtest.Place {
	p := c.b.bob
	if u.ID == c.b.alice.Member.ID {
		p = c.b.alice
	}
	if inc != nil {
		p.ChannelID = c.b.waitExternal(inc.Number, KeyChannel)
	}
	return p
}

// answerText is the text of an answer, or of the modal it opened.
func answerText(r discordtest.Response) string { return r.Data.Content + r.Data.Title }

// answer delivers i and returns the text of its answer: when the work
// outlasted DeferAfter (a slow machine, the race detector) the first
// answer is a deferral, and the text is that of its later edit.
func (c discordChat) answer(i discordtest.Interaction) string {
	c.b.t.Helper()
	r := c.b.send(i)
	if r.Type != typeDeferred {
		return answerText(r)
	}
	token, _ := i["token"].(string)
	edit := c.b.wait("the deferral of "+i.ID()+" edited", func(call discordtest.Call) bool {
		return call.Route == "PATCH /webhooks/{app}/{token}/messages/{message}" &&
			strings.HasSuffix(call.Path, "/"+token+"/messages/@original")
	})
	var m discordtest.Message
	if err := json.Unmarshal(edit.Body, &m); err != nil {
		c.b.t.Fatalf("the deferral's edit: %v: %s", err, edit.Body)
	}
	return m.Content
}

func (c discordChat) Declare(u chattest.User, f chattest.Form) string {
	c.b.t.Helper()
	p := c.place(u, nil)
	r := c.b.send(p.Command("declare", discordtest.Option{Name: "category", Value: f.Category},
		discordtest.Option{Name: "subcontext", Value: f.SubContext}, discordtest.Option{Name: "severity", Value: f.Severity},
		discordtest.Option{Name: "tlp", Value: f.TLP}))
	if r.Type != typeModal {
		return answerText(r)
	}
	if err := discordtest.CheckModal(r); err != nil {
		c.b.t.Fatal(err)
	}
	return c.answer(p.Submit(r.Data.CustomID, map[string]string{drone.FieldOverview: f.Overview,
		drone.FieldIndicators: f.Indicators}))
}

func (c discordChat) IndicatorsFromMessage(u chattest.User, inc *drone.Incident, text string) string {
	c.b.t.Helper()
	p := c.place(u, inc)
	r := c.b.send(p.MessageMenu(text))
	if r.Type != typeModal {
		return answerText(r)
	}
	offered := r.Inputs()[drone.FieldIndicators].Value
	return c.answer(p.Submit(r.Data.CustomID, map[string]string{drone.FieldIndicators: offered}))
}

func (c discordChat) Acknowledge(u chattest.User, inc *drone.Incident) string {
	c.b.t.Helper()
	return c.answer(c.place(u, inc).Command("ack"))
}

func (c discordChat) StatusUpdate(u chattest.User, inc *drone.Incident, status drone.Status, summary string) func() string {
	i := c.place(u, inc).Command("status", discordtest.Option{Name: drone.FieldStatus, Value: string(status)},
		discordtest.Option{Name: drone.FieldSummary, Value: summary})
	delivered := 0
	return func() string {
		c.b.t.Helper()
		if delivered++; c.b.mode == "http" || delivered == 1 {
			return c.answer(i)
		}
		// Over the gateway a redelivery handled once is not answered at
		// all: wait until the adapter says it was seen, or answers again.
		if err := c.b.dc.Dispatch(i); err != nil {
			c.b.t.Fatal(err)
		}
		c.b.h.Eventually("the redelivery of interaction "+i.ID()+" handled", func() bool {
			for _, line := range strings.Split(c.b.h.Logs.String(), "\n") {
				if strings.Contains(line, "delivered twice; handled once") && strings.Contains(line, " interaction="+i.ID()) {
					return true
				}
			}
			return len(c.b.callbacks(i.ID())) >= delivered
		})
		return ""
	}
}

// callbacks are the answers sent to an interaction through the REST
// callback, refused ones included.
func (b *bundle) callbacks(interaction string) []discordtest.Call {
	var out []discordtest.Call
	for _, c := range b.dc.CallsTo("POST /interactions/{id}/{token}/callback") {
		if strings.HasPrefix(c.Path, "/interactions/"+interaction+"/") {
			out = append(out, c)
		}
	}
	return out
}

func (c discordChat) Notice(inc *drone.Incident) (string, string) {
	id := c.b.incident(inc.Number).External[KeyMessage]
	m := c.b.dc.Message(id)
	if m == nil {
		return "", ""
	}
	if err := discordtest.CheckMessage(*m); err != nil {
		c.b.t.Fatalf("Discord would refuse the notice: %v", err)
	}
	var s strings.Builder
	s.WriteString(m.Content)
	for _, e := range m.Embeds {
		s.WriteString("\n" + e.Title + "\n" + e.Description)
		for _, f := range e.Fields {
			s.WriteString("\n" + f.Name + ": " + f.Value)
		}
	}
	return id, s.String()
}
