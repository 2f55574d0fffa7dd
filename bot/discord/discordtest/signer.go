package discordtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Signer signs interactions as Discord does, with a real Ed25519 key, and
// posts them to drone's HTTP endpoint.
type Signer struct {
	Key ed25519.PrivateKey
	// Now returns the time stamped on requests. Defaults to time.Now.
	Now    func() time.Time
	Client *http.Client
}

// NewSigner returns a Signer with a fresh key.
func NewSigner() *Signer {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("generating an Ed25519 key: %v", err)) // the system's randomness is gone
	}
	return &Signer{Key: key, Client: &http.Client{Timeout: 10 * time.Second}}
}

// PublicKey is the public key to configure as discord.public_key.
func (s *Signer) PublicKey() string { return hex.EncodeToString(s.Key.Public().(ed25519.PublicKey)) }

// Sign returns the signature headers of body at time t.
func (s *Signer) Sign(body []byte, t time.Time) http.Header {
	ts := strconv.FormatInt(t.Unix(), 10)
	sig := ed25519.Sign(s.Key, append([]byte(ts), body...))
	h := http.Header{}
	h.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
	h.Set("X-Signature-Timestamp", ts)
	h.Set("Content-Type", "application/json")
	return h
}

// Request returns a signed POST of interaction (a JSON-ready value, or the
// body itself as []byte) to url.
func (s *Signer) Request(ctx context.Context, url string, interaction any) (*http.Request, error) {
	body, ok := interaction.([]byte)
	if !ok {
		var err error
		if body, err = json.Marshal(interaction); err != nil {
			return nil, fmt.Errorf("encoding interaction: %w", err)
		}
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = s.Sign(body, now())
	return req, nil
}

// Post signs and posts an interaction, and returns the status and body.
func (s *Signer) Post(ctx context.Context, url string, interaction any) (int, []byte, error) {
	req, err := s.Request(ctx, url, interaction)
	if err != nil {
		return 0, nil, err
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("posting interaction: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("reading answer: %w", err)
	}
	return resp.StatusCode, b, nil
}
