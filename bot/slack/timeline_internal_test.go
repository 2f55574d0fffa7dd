package slack

import (
	"testing"
	"time"
)

func TestTSTime(t *testing.T) {
	for ts, want := range map[string]time.Time{
		"1712345678.000100": time.Unix(1712345678, 100_000).UTC(),
		"1712345678.5":      time.Unix(1712345678, 500_000_000).UTC(),
		"1712345678":        time.Unix(1712345678, 0).UTC(),
	} {
		if got, err := tsTime(ts); err != nil || !got.Equal(want) {
			t.Errorf("tsTime(%q) = %v, %v; want %v", ts, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-1.0", "1712345678.0001000", "1712345678.-1", "1712345678.1e3", ".5"} {
		if _, err := tsTime(bad); err == nil {
			t.Errorf("tsTime(%q) took it", bad)
		}
	}
}

// FuzzParseTimelineEvent: whatever arrives, a timeline event that is taken
// names its user, its channel and a message ts drone can read as a time.
func FuzzParseTimelineEvent(f *testing.F) {
	f.Add([]byte(`{"type":"reaction_added","user":"U1","reaction":"pushpin","item":{"type":"message","channel":"C1","ts":"1712345678.000100"}}`))
	f.Add([]byte(`{"type":"pin_removed","user":"U1","channel_id":"C1","item":{"type":"message","channel":"C1","message":{"ts":"1712345678.000100"}},"has_pins":false}`))
	f.Add([]byte(`{"type":"reaction_removed","user":"U1","reaction":"pushpin","item":{"type":"file","file":"F1"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		pt, ok, err := parseTimelineEvent(raw, "pushpin")
		if !ok {
			return
		}
		if err != nil || pt.user == "" || pt.channel == "" {
			t.Fatalf("took %+v, %v", pt, err)
		}
		if _, err := tsTime(pt.ts); err != nil {
			t.Fatalf("took ts %q: %v", pt.ts, err)
		}
	})
}
