package discord

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
)

// FuzzInteractions posts properly signed bodies of every shape to the
// interactions endpoint: each must get 400, or 200 with an answer Discord
// would take, and never a panic. Run it with
// go test -run '^$' -fuzz FuzzInteractions -fuzztime 30s ./bot/discord/
func FuzzInteractions(f *testing.F) {
	b := setup(f, "http")
	p := b.alice
	seeds := []discordtest.Interaction{
		p.Ping(), p.Command("declare", discordtest.Option{Name: "category", Value: "CAT1"}, discordtest.Option{Name: "severity", Value: "2"}),
		p.Command("ioc", discordtest.Option{Name: "text", Value: "1.2.3.4 hxxp://x[.]com"}, discordtest.Option{Name: "incident", Value: "INC-1"}),
		p.Command("status", discordtest.Option{Name: "summary", Value: "s"}), p.Command("list", discordtest.Option{Name: "all", Value: true}),
		p.Autocomplete("declare", discordtest.Option{Name: "subcontext", Value: "p", Focused: true}),
		p.MessageMenu("see 203.0.113.5 and evil[.]com"), p.Button("ack:1"), p.Button("close:1"), p.Button("ioc:99"),
		p.Submit("m:declare:0:"+discordtest.NewID()+":1..2....", map[string]string{drone.FieldOverview: "fuzz"}),
		p.Submit("m:ioc:1::", map[string]string{drone.FieldIndicators: "8.8.8.8"}),
		p.Submit("m:status:1::", map[string]string{drone.FieldStatus: "contained", drone.FieldSummary: "x", drone.FieldNextUpdate: "1h"}),
		p.Submit("m:close:1::", map[string]string{drone.FieldResolution: "Other", drone.FieldSummary: "x"}),
		p.TimelineMenu(b.dc.AddUserMessage(p.ChannelID, p.Member, "INC-1 at 203.0.113.5", nil)),
		p.Submit("m:timeline:0:"+discordtest.NewID()+":", map[string]string{"incident": "INC-1"}),
	}
	for _, s := range seeds {
		body, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	h := b.ad.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, InteractionsPath, bytes.NewReader(body))
		req.Header = b.signer.Sign(body, time.Now())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusBadRequest:
		case http.StatusOK:
			r, err := discordtest.ParseResponse(rec.Body.Bytes())
			if err != nil {
				t.Fatalf("200 with an answer that is not one: %v", err)
			}
			if err := discordtest.CheckResponse(r); err != nil {
				t.Fatalf("Discord would refuse the answer: %v\n%s", err, rec.Body)
			}
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
	})
}
