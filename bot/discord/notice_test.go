package discord

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

// TestNoticeAlwaysFitsDiscord renders 150 random notices, many far
// beyond what one message may hold, and checks each against Discord's limits
// (discordtest's own counting): no indicator section is dropped without a
// word, and what is left out of a section is counted ("… and N more").
func TestNoticeAlwaysFitsDiscord(t *testing.T) {
	t.Parallel()
	for seed := range uint64(150) {
		r := rand.New(rand.NewPCG(seed, 7))
		n := randomNotice(r)
		msg := renderNotice(n)
		got := asSent(t, msg)
		if err := discordtest.CheckMessage(got); err != nil {
			t.Fatalf("seed %d: Discord would refuse the notice: %v", seed, err)
		}
		for _, s := range n.Sections {
			shown, more := sectionCount(got, s.Title)
			if shown+more != len(s.Items)+s.More {
				t.Fatalf("seed %d: section %q shows %d and says %d more, of %d (+%d)", seed, s.Title, shown, more, len(s.Items), s.More)
			}
		}
	}
}

// TestLongNoticeIsSummarised checks the common large case: hundreds of
// indicators lose their links, fill the room, and end with a count.
func TestLongNoticeIsSummarised(t *testing.T) {
	t.Parallel()
	rec := &drone.Record{Incident: &drone.Incident{Number: 7, Title: "Botnet C2", Category: "CAT3", CategoryName: "Malware",
		Severity: 4, SeverityName: "CRITICAL", TLP: "AMBER", Status: drone.StatusOpen, Overview: "Beaconing hosts",
		Reporter: drone.Actor{Platform: "discord", ID: "80351110224678912"}}}
	for i := range 500 {
		rec.Observables = append(rec.Observables, drone.Observable{Type: ioc.IPv4, Value: fmt.Sprintf("198.51.%d.%d", i/250, i%250)})
	}
	rec.Observables = append(rec.Observables, drone.Observable{Type: ioc.SHA256, Value: strings.Repeat("ab", 32)})
	got := asSent(t, renderNotice(drone.BuildNotice(rec, drone.EntryDeclared, drone.AudienceResponders, time.Now())))
	if err := discordtest.CheckMessage(got); err != nil {
		t.Fatal(err)
	}
	shown, more := sectionCount(got, "IP addresses")
	if shown < 50 || shown+more != 500 {
		t.Errorf("IP addresses: %d shown, %d more", shown, more)
	}
	if s, _ := sectionCount(got, "File hashes"); s != 1 {
		t.Error("a later section keeps its share of the room")
	}
	if !strings.Contains(fmt.Sprint(allFields(got)), fmt.Sprintf("… and %d more, see the TheHive case", more)) {
		t.Errorf("no summary line: %s", allFields(got))
	}
	if strings.Contains(fmt.Sprint(allFields(got)), "urlscan.io") {
		t.Error("with so many indicators, the links give way to the values")
	}
	if len(got.Components) != 1 || len(got.Components[0].Components) != 4 {
		t.Errorf("buttons: %+v", got.Components)
	}
}

// asSent returns a message as Discord receives it.
func asSent(t *testing.T, m message) discordtest.Message {
	t.Helper()
	b, err := json.Marshal(map[string]any{"content": m.Content, "embeds": m.Embeds, "components": m.Components})
	if err != nil {
		t.Fatal(err)
	}
	var out discordtest.Message
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func allFields(m discordtest.Message) []string {
	var out []string
	for _, e := range m.Embeds {
		for _, f := range e.Fields {
			out = append(out, f.Name+": "+f.Value)
		}
	}
	return out
}

var moreRe = regexp.MustCompile(`^… and (\d+) more`)

// sectionCount counts a section's items shown and the number its summary
// line says are left out.
func sectionCount(m discordtest.Message, title string) (shown, more int) {
	want := clip(validUTF8(title), maxFieldName)
	cont := clip(validUTF8(title)+" (cont.)", maxFieldName)
	for _, e := range m.Embeds {
		for _, f := range e.Fields {
			if f.Name != want && f.Name != cont {
				continue
			}
			for _, line := range strings.Split(f.Value, "\n") {
				if strings.HasPrefix(line, "`") {
					shown++
				} else if sm := moreRe.FindStringSubmatch(line); sm != nil {
					more, _ = strconv.Atoi(sm[1])
				}
			}
		}
	}
	return shown, more
}

// randomNotice makes a notice with random sizes everywhere, up to far
// beyond Discord's limits, in every kind of character.
func randomNotice(r *rand.Rand) *drone.Notice {
	n := &drone.Notice{Ref: "INC-" + strconv.Itoa(1+r.IntN(99999)), TLP: "AMBER+STRICT", Severity: 1 + r.IntN(4),
		Title: randText(r, 600, true), Headline: randText(r, 5000, true)}
	n.Subject = n.Title + " | SIN #1"
	for _, label := range []string{"Incident Number", "Category", "Type", "Severity", "Affected Zone", "Affected Tier",
		"Affected Business Unit", "Status", "Lead", "Notification Date/Time", "Overview", "Next update", "Resolution"} {
		n.Rows = append(n.Rows, drone.Row{Label: label, Value: randText(r, 1500, true)})
	}
	for range r.IntN(3) * r.IntN(10) {
		n.BlindSpots = append(n.BlindSpots, randText(r, 300, false))
	}
	titles := []string{"IP addresses", "Domains", "URLs", "File hashes", "Users", "E-mail addresses", "File names",
		"Registry keys", "Vulnerabilities", "ATT&CK techniques", "Other"}
	for _, title := range titles[:r.IntN(len(titles)+1)] {
		s := drone.Section{Title: title, More: r.IntN(3) * r.IntN(50)}
		for range r.IntN(4) * r.IntN(150) {
			size := 1 + r.IntN(120)
			if r.IntN(30) == 0 {
				size = 2500 // a value longer than a field may hold
			}
			it := drone.Item{Text: randText(r, size, false), Internal: r.IntN(4) == 0}
			for range r.IntN(5) {
				it.Links = append(it.Links, drone.Link{Label: "VirusTotal", URL: "https://www.virustotal.com/gui/x/" + randText(r, 300, false)})
			}
			s.Items = append(s.Items, it)
		}
		n.Sections = append(n.Sections, s)
	}
	n.Actions = []drone.Action{{ID: "ack", Label: "Acknowledge"}, {ID: "ioc", Label: "Add indicators"},
		{ID: "status", Label: "Post update"}, {ID: "close", Label: "Close"}}[:r.IntN(5)]
	return n
}

// randText is up to max characters of ASCII, accents, emoji (two UTF-16
// units each), backticks, markdown and, now and then, invalid UTF-8.
func randText(r *rand.Rand, max int, newlines bool) string {
	pieces := []string{"a", "Z", "7", ".", "[.]", "é", "ß", "😀", "𝔘", "`", "*", "_", ")", " ", "<@&1>", "\xff"}
	if newlines {
		pieces = append(pieces, "\n")
	}
	var b strings.Builder
	for range r.IntN(max + 1) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}
