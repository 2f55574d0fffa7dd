package discord

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/bwmarrin/discordgo"
)

// maxBody bounds an interaction's body; Discord's are a few kilobytes, a
// message with its embeds some tens.
const maxBody = 1 << 20

// InteractionsPath is where Discord posts interactions in http mode.
const InteractionsPath = "/discord/interactions"

// Handler answers Discord's HTTP interactions (POST /discord/interactions):
// a request whose signature does not verify, or whose timestamp is more than
// 5 minutes away, gets 401 and is not looked at further; a malformed one gets
// 400; PING gets {"type":1}; any other is answered within Discord's 3
// seconds, with a deferral when its work runs longer.
func (a *Adapter) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read the request", http.StatusBadRequest)
			return
		}
		if err := a.verify.Verify(r.Header, body); err != nil {
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		var i discordgo.Interaction
		if err := json.Unmarshal(body, &i); err != nil {
			http.Error(w, "malformed interaction", http.StatusBadRequest)
			return
		}
		resp, later, err := a.handle(r.Context(), &i)
		if err != nil {
			http.Error(w, "malformed interaction", http.StatusBadRequest)
			return
		}
		if resp == nil {
			resp = textResponse("This was already handled.", false)
		}
		a.write(w, resp)
		if later != nil {
			go later()
		}
	})
}

// write sends an interaction response as the HTTP answer, flushed at once so
// that a deferred answer's edit finds it at Discord.
func (a *Adapter) write(w http.ResponseWriter, resp *discordgo.InteractionResponse) {
	b, err := json.Marshal(resp)
	if err != nil {
		a.log.Error("encoding an interaction response", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if _, err := w.Write(b); err != nil {
		a.log.Warn("writing an interaction response", "err", err)
		return
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}
