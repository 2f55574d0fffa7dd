package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
)

// KindReview posts a post-incident review version to the incident's
// channel as files (Markdown and HTML).
const KindReview = "discord.review"

// reviewMedium names the delivery records of review files, apart from the
// notices' (notify replies to the last "discord" delivery).
const reviewMedium = "discord.review"

type reviewArgs struct {
	IncidentID string `json:"incident_id"`
	Version    int    `json:"version"`
}

func (reviewArgs) Kind() string { return KindReview }

// reviewJob is the discord.review job of a review entry, or none.
func reviewJob(e drone.Event) []drone.Job {
	v, ok := drone.ReviewVersion(e.Entry)
	if !ok {
		return nil
	}
	args := reviewArgs{IncidentID: e.Incident.ID, Version: v}
	return []drone.Job{{Kind: KindReview, Args: args, UniqueKey: fmt.Sprintf("%s:%s:%d", KindReview, args.IncidentID, v)}}
}

type reviewWorker struct {
	river.WorkerDefaults[reviewArgs]
	a *Adapter
}

// Work posts the review once: a delivery record says it was; a retry
// within Discord's nonce window gets the first attempt's message back, and
// a later one finds the message by its file in the channel.
func (w *reviewWorker) Work(ctx context.Context, job *river.Job[reviewArgs]) error {
	return w.a.jobError(w.a.postReview(ctx, job.Args, job.CreatedAt, job.Attempt))
}

func (a *Adapter) postReview(ctx context.Context, args reviewArgs, created time.Time, attempt int) error {
	inc, err := a.svc.IncidentByID(ctx, args.IncidentID)
	if err != nil {
		return err
	}
	channel := inc.External[KeyChannel]
	if channel == "" {
		if time.Since(created) < spaceWait {
			return drone.RetryAfter(spaceRetry, fmt.Errorf("%s has no Discord channel yet", inc.Ref()))
		}
		a.log.Warn("discord: incident has no channel to post its review in", "incident", inc.Ref())
		return nil
	}
	r, err := a.svc.Review(ctx, inc.ID)
	if err != nil {
		return fmt.Errorf("reading the review of %s: %w", inc.Ref(), err)
	}
	if r.Version != args.Version {
		return nil // a later version was drafted: its own job posts it
	}
	key := fmt.Sprintf("%s:%s:%d", KindReview, inc.ID, r.Version)
	if _, ok, err := a.svc.Delivery(ctx, key); err != nil || ok {
		return err
	}
	name := r.FileName(inc, "md")
	if attempt > 1 {
		id, err := a.findReview(ctx, channel, name, created)
		if err != nil || id != "" {
			if id != "" {
				return a.recordReview(ctx, inc, channel, key, id)
			}
			return err
		}
	}
	id, err := a.sendReview(ctx, inc, r, channel, key)
	if err != nil {
		return err
	}
	return a.recordReview(ctx, inc, channel, key, id)
}

// sendReview posts the review's files in one message: POST
// /channels/{id}/messages as multipart/form-data, the message in
// payload_json and the files in files[0], files[1], with the nonce
// Discord enforces.
func (a *Adapter) sendReview(ctx context.Context, inc *drone.Incident, r *drone.Review, channel, key string) (string, error) {
	var files []*discordgo.File
	for _, f := range r.Files(inc) {
		files = append(files, &discordgo.File{Name: f.Name, ContentType: f.ContentType, Reader: strings.NewReader(f.Body)})
	}
	body := struct {
		Content         string                            `json:"content"`
		AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
		Nonce           string                            `json:"nonce"`
		EnforceNonce    bool                              `json:"enforce_nonce"`
	}{Content: fmt.Sprintf("Post-incident review of %s, version %d: fill in what went well and what did not with the team, then agree the follow-up actions.",
		inc.Ref(), r.Version), AllowedMentions: noMentions(), Nonce: nonce(key), EnforceNonce: true}
	ctype, payload, err := discordgo.MultipartBodyWithJSON(body, files)
	if err != nil {
		return "", drone.Permanent(fmt.Errorf("encoding the review of %s: %w", inc.Ref(), err))
	}
	ep := discordgo.EndpointChannelMessages(channel)
	raw, err := a.session.RequestRaw(http.MethodPost, ep, ctype, payload, ep, 0, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("posting the review of %s in Discord channel %s: %w", inc.Ref(), channel, err)
	}
	sent, err := sentMessage(raw)
	if err != nil {
		return "", fmt.Errorf("reading Discord's answer to the review of %s: %w", inc.Ref(), err)
	}
	return sent.ID, nil
}

// findReview looks among the channel's messages since the job was queued
// for one carrying the review's file; a channel drone may not read (403)
// is not looked in.
func (a *Adapter) findReview(ctx context.Context, channel, name string, since time.Time) (string, error) {
	found, err := a.session.ChannelMessages(channel, 100, "", snowflakeAt(since.Add(-time.Minute)), "", discordgo.WithContext(ctx))
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusForbidden {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("looking for an earlier attempt's review in Discord channel %s: %w", channel, err)
	}
	for _, m := range found {
		for _, at := range m.Attachments {
			if at.Filename == name {
				return m.ID, nil
			}
		}
	}
	return "", nil
}

func (a *Adapter) recordReview(ctx context.Context, inc *drone.Incident, channel, key, id string) error {
	err := a.svc.RecordDelivery(ctx, drone.Delivery{Key: key, IncidentID: inc.ID, Event: drone.EntryReview,
		Medium: reviewMedium, Address: channel, Ref: drone.MessageRef{ID: id}, At: time.Now()})
	if err != nil {
		return fmt.Errorf("recording the review posted for %s: %w", inc.Ref(), err)
	}
	return nil
}
