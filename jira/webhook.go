package jira

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/ttp0/drone/tracker"
)

// WebhookRoute is the route of Jira's webhook on drone serve.
const WebhookRoute = "POST /jira/webhook"

// Hook returns how drone reads Jira's webhook calls: verified by the
// X-Hub-Signature HMAC-SHA256 of the body with secret, or, from a Jira
// that does not sign, by the secret in the URL's query; about the issue
// the call names.
func Hook(secret string) tracker.Hook {
	return tracker.Hook{
		Verify: func(r *http.Request, body []byte) bool {
			if sig := r.Header.Get("X-Hub-Signature"); sig != "" {
				got, err := hex.DecodeString(strings.TrimPrefix(sig, "sha256="))
				mac := hmac.New(sha256.New, []byte(secret))
				mac.Write(body)
				return err == nil && strings.HasPrefix(sig, "sha256=") && hmac.Equal(got, mac.Sum(nil))
			}
			given := r.URL.Query().Get("secret")
			return given != "" && subtle.ConstantTimeCompare([]byte(given), []byte(secret)) == 1
		},
		Parse: func(body []byte) (string, string, bool) {
			var call struct {
				Timestamp json.Number `json:"timestamp"`
				Event     string      `json:"webhookEvent"`
				Issue     struct {
					Key string `json:"key"`
				} `json:"issue"`
			}
			if json.Unmarshal(body, &call) != nil || call.Issue.Key == "" {
				return "", "", false
			}
			return call.Issue.Key, call.Event + "@" + call.Timestamp.String(), true
		},
	}
}
