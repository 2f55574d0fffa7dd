package discord

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Verifier checks the Ed25519 signature Discord puts on every HTTP
// interaction: X-Signature-Ed25519 over X-Signature-Timestamp followed by
// the body. Unlike Discord's own libraries, it refuses timestamps more than
// MaxAge away from now, so that a captured request cannot be replayed later.
type Verifier struct {
	Key ed25519.PublicKey
	// MaxAge is how far a timestamp may be from now, either way. Defaults
	// to 5 minutes.
	MaxAge time.Duration
	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time
}

// Reasons a request is refused; none says more than that to the caller.
var (
	errUnsigned     = errors.New("the request is not signed")
	errStale        = errors.New("the request's timestamp is too far from now")
	errBadSignature = errors.New("the request's signature is not valid")
)

// ParsePublicKey reads an application's public key as the developer portal
// shows it: 64 hexadecimal digits.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	k, err := hex.DecodeString(s)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("a Discord public key is %d hexadecimal digits", 2*ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(k), nil
}

// Verify returns nil when body carries a valid signature made within MaxAge.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	sigHex, ts := h.Get("X-Signature-Ed25519"), h.Get("X-Signature-Timestamp")
	if sigHex == "" || ts == "" || len(ts) > 20 {
		return errUnsigned
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errBadSignature
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errStale
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	maxAge := v.MaxAge
	if maxAge <= 0 {
		maxAge = 5 * time.Minute
	}
	if age := now().Sub(time.Unix(secs, 0)); age > maxAge || age < -maxAge {
		return errStale
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	if len(v.Key) != ed25519.PublicKeySize || !ed25519.Verify(v.Key, msg, sig) {
		return errBadSignature
	}
	return nil
}
