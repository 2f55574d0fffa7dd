package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ttp0/drone/bot/discord/discordtest"
	"github.com/ttp0/drone/drone"
)

func TestVerifier(t *testing.T) {
	t.Parallel()
	signer := discordtest.NewSigner()
	key, err := ParsePublicKey(signer.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	v := Verifier{Key: key, Now: func() time.Time { return now }}
	body := []byte(`{"type":1}`)
	other := discordtest.NewSigner()
	cases := []struct {
		name string
		h    http.Header
		body []byte
		want error
	}{
		{"valid", signer.Sign(body, now), body, nil},
		{"valid 4m59s old", signer.Sign(body, now.Add(-299*time.Second)), body, nil},
		{"older than 5 minutes", signer.Sign(body, now.Add(-301*time.Second)), body, errStale},
		{"from the future", signer.Sign(body, now.Add(6*time.Minute)), body, errStale},
		{"another key", other.Sign(body, now), body, errBadSignature},
		{"body changed", signer.Sign(body, now), []byte(`{"type":2}`), errBadSignature},
		{"unsigned", http.Header{}, body, errUnsigned},
		{"signature not hex", header("zz", now), body, errBadSignature},
		{"signature short", header(hex.EncodeToString([]byte("short")), now), body, errBadSignature},
	}
	for _, c := range cases {
		if err := v.Verify(c.h, c.body); err != c.want {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	ts := signer.Sign(body, now)
	ts.Set("X-Signature-Timestamp", "1e9")
	if err := v.Verify(ts, body); err != errStale {
		t.Errorf("a timestamp that is not a number: %v", err)
	}
	if _, err := ParsePublicKey("abcd"); err == nil {
		t.Error("a short key must be refused")
	}
	var empty ed25519.PublicKey
	if err := (&Verifier{Key: empty}).Verify(signer.Sign(body, time.Now()), body); err != errBadSignature {
		t.Errorf("no key verifies nothing: %v", err)
	}
}

func header(sig string, t time.Time) http.Header {
	h := http.Header{}
	h.Set("X-Signature-Ed25519", sig)
	h.Set("X-Signature-Timestamp", strconv.FormatInt(t.Unix(), 10))
	return h
}

// TestEndpointRefusesWhatDiscordDidNotSign checks that a bad signature or a
// stale timestamp gets 401 and that nothing was processed: no incident, and
// the interaction's id is still unclaimed.
func TestEndpointRefusesWhatDiscordDidNotSign(t *testing.T) {
	t.Parallel()
	b := setup(t, "http")
	forger := discordtest.NewSigner()
	submit := b.alice.Submit("m:declare:0::0..2.....", map[string]string{"overview": "forged"})
	status, _, err := forger.Post(b.ctx, b.url, submit)
	if err != nil || status != http.StatusUnauthorized {
		t.Fatalf("forged signature: %d %v", status, err)
	}
	stale := *b.signer
	stale.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
	if status, _, err = stale.Post(b.ctx, b.url, submit); err != nil || status != http.StatusUnauthorized {
		t.Fatalf("stale timestamp: %d %v", status, err)
	}
	if first, err := b.db.Claim(b.ctx, "discord.interaction:"+submit.ID()); err != nil || !first {
		t.Errorf("a refused interaction must not be claimed: first=%v %v", first, err)
	}
	if n, err := b.db.Incidents(b.ctx, drone.IncidentFilter{}); err != nil || len(n) != 0 {
		t.Errorf("a refused interaction declared %d incidents (%v)", len(n), err)
	}
	if len(b.dc.Calls()) != 0 {
		t.Errorf("a refused interaction reached Discord: %+v", b.dc.Calls())
	}
}

func TestEndpointAnswersPingAndRefusesMalformed(t *testing.T) {
	t.Parallel()
	b := setup(t, "http")
	status, body, err := b.signer.Post(b.ctx, b.url, b.alice.Ping())
	if err != nil || status != 200 || strings.TrimSpace(string(body)) != `{"type":1}` {
		t.Fatalf("PING: %d %s %v", status, body, err)
	}
	bad := map[string]any{
		"not JSON":        []byte(`{"type":2,`),
		"unknown type":    discordtest.Interaction{"id": discordtest.NewID(), "type": 42, "token": "t"},
		"no member":       discordtest.Interaction{"id": discordtest.NewID(), "type": 3, "token": "t", "data": map[string]any{"custom_id": "ack:1"}},
		"token with path": withField(b.alice.Button("ack:1"), "token", "a/../../channels"),
		"id not a number": withField(b.alice.Button("ack:1"), "id", "x1"),
		"data of a type":  withField(b.alice.Command("list"), "data", "oops"),
	}
	for name, i := range bad {
		if status, body, err := b.signer.Post(b.ctx, b.url, i); err != nil || status != http.StatusBadRequest {
			t.Errorf("%s: %d %s %v", name, status, body, err)
		}
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, b.url, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	big := bytes.Repeat([]byte("a"), maxBody+1)
	if status, _, err := b.signer.Post(b.ctx, b.url, big); err != nil || status != http.StatusRequestEntityTooLarge {
		t.Errorf("a body beyond %d bytes: %d %v", maxBody, status, err)
	}
}

func withField(i discordtest.Interaction, k string, v any) discordtest.Interaction {
	i[k] = v
	return i
}
