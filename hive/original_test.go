package hive_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ttp0/drone/bot/mailbox"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/hive"
	"github.com/ttp0/drone/hive/hivetest"
	"github.com/ttp0/drone/notify/email/smtptest"
	"github.com/ttp0/drone/store"
)

// phishingReport is a user's report of a phishing message, as the
// phishing mailbox receives it.
func phishingReport(subject string) []byte { return []byte(smtptest.PhishingReport(subject)) }

// reportMailbox returns the phishing mailbox of b's drone; its originals
// go under dir.
func reportMailbox(t *testing.T, b *syncBundle, dir string) *mailbox.Mailbox {
	t.Helper()
	mb, err := mailbox.NewMailbox(mailbox.Config{}, b.svc, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return mb
}

func report(t *testing.T, mb *mailbox.Mailbox, raw []byte) *drone.Incident {
	t.Helper()
	inc, _, err := mb.Handle(context.Background(), "bob@example.org", raw)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return inc
}

// uploadTap counts the multipart uploads a client sends and can make the
// stand-in drop the answer to the first ones after committing them.
type uploadTap struct {
	srv     *hivetest.Server
	drop    atomic.Int32
	uploads atomic.Int32
	next    http.RoundTripper
}

func (u *uploadTap) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		u.uploads.Add(1)
		if u.drop.Add(-1) >= 0 {
			u.srv.DropResponseAfterCommit(1)
		}
	}
	return u.next.RoundTrip(r)
}

func tapped(tap **uploadTap, drop int32) func(*hivetest.Server) http.RoundTripper {
	return func(srv *hivetest.Server) http.RoundTripper {
		*tap = &uploadTap{srv: srv, next: http.DefaultTransport.(*http.Transport).Clone()}
		(*tap).drop.Store(drop)
		return *tap
	}
}

// checkOriginal checks that the case holds raw once, as a file observable
// named name, and that the incident records that observable.
func checkOriginal(t *testing.T, b *syncBundle, inc *drone.Incident, raw []byte, name string) {
	t.Helper()
	cs := b.onlyCase(t)
	sha := sha256Hex(raw)
	atts := b.srv.Attachments(cs.ID)
	if len(atts) != 1 || atts[0].SHA256 != sha || atts[0].Name != name || atts[0].ContentType != "message/rfc822" ||
		string(atts[0].Content) != string(raw) {
		t.Fatalf("case holds attachments %+v, want %s once as %q", atts, sha, name)
	}
	var id string
	for _, o := range b.srv.Observables(cs.ID) {
		if o.Attachment != nil {
			id = o.ID
			if !strings.Contains(o.Message, "Kept for INC-1 by phishing mailbox (email:mailbox)") || o.TLP != 2 {
				t.Errorf("file observable message %q tlp %d", o.Message, o.TLP)
			}
		}
	}
	if got := b.incident(t, inc.Number).Incident.External[hive.ExtOriginalPrefix+sha]; got != id {
		t.Errorf("incident records file observable %q, want %q", got, id)
	}
}

// TestSyncAttachesReportedMessage reports a message to the mailbox: its
// case gets the stored original as one file observable, which neither the
// same report again nor a later change sends twice.
func TestSyncAttachesReportedMessage(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		var tap *uploadTap
		b := setupSync(t, syncSetup{api: api, transport: tapped(&tap, 0)})
		mb := reportMailbox(t, b, t.TempDir())
		raw := phishingReport("Fwd: Your mailbox is full")
		inc := report(t, mb, raw)
		b.deliver(t, 2)
		checkOriginal(t, b, inc, raw, "Fwd_ Your mailbox is full.eml")
		if !hasEntry(b.incident(t, inc.Number), drone.EntryExternal, "1 stored file(s) attached to TheHive case #1") {
			t.Error("timeline does not say the file was attached")
		}

		lookup := map[string]string{hive.APIv1: "POST /api/v1/query", hive.APIv0: "POST /api/case/artifact/_search"}[api]
		lookups := b.srv.Count(lookup)
		report(t, mb, raw) // a client that missed the reply sends it again
		if _, err := b.svc.PostUpdate(context.Background(), operator, drone.Origin{Channel: "cli"}, inc.Number,
			drone.UpdateInput{Summary: "Purging mailboxes"}); err != nil {
			t.Fatal(err)
		}
		b.deliver(t, 2)
		checkOriginal(t, b, inc, raw, "Fwd_ Your mailbox is full.eml")
		if n := tap.uploads.Load(); n != 1 {
			t.Errorf("%d uploads, want 1", n)
		}
		if n := b.srv.Count(lookup) - lookups; n != 0 {
			t.Errorf("%d look-ups for a file the incident records as sent, want none", n)
		}
		b.noDeadJobs(t)
	})
}

// TestSyncLostFileAnswer loses TheHive's answer to the upload after it
// committed: the retry finds the file in the case and uploads nothing.
func TestSyncLostFileAnswer(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		var tap *uploadTap
		b := setupSync(t, syncSetup{api: api, transport: tapped(&tap, 1)})
		raw := phishingReport("Invoice overdue")
		inc := report(t, reportMailbox(t, b, t.TempDir()), raw)
		b.deliver(t, 1)
		checkOriginal(t, b, inc, raw, "Invoice overdue.eml")
		if n := tap.uploads.Load(); n != 1 {
			t.Errorf("%d uploads, want 1: the retry uploaded again", n)
		}
		retried := 0
		for _, j := range b.jobs(t, "completed") {
			if j.LastError != "" {
				retried++
			}
		}
		if retried == 0 {
			t.Error("no job records a failed attempt: the answer was not lost")
		}
		b.noDeadJobs(t)
	})
}

// TestSyncLostFileRecord loses the record of a done upload, as a crash
// between the upload and the store's commit would: the next sync finds the
// file in the case and records it without uploading it again.
func TestSyncLostFileRecord(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		var tap *uploadTap
		b := setupSync(t, syncSetup{api: api, transport: tapped(&tap, 0)})
		raw := phishingReport("Password expiry")
		inc := report(t, reportMailbox(t, b, t.TempDir()), raw)
		b.deliver(t, 1)
		ctx := context.Background()
		key := hive.ExtOriginalPrefix + sha256Hex(raw)
		if err := b.svc.SetExternal(ctx, operator, inc.ID, map[string]string{key: ""}, "forget the upload"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Acknowledge(ctx, operator, drone.Origin{Channel: "cli"}, inc.Number); err != nil {
			t.Fatal(err)
		}
		b.deliver(t, 1)
		checkOriginal(t, b, inc, raw, "Password expiry.eml")
		if n := tap.uploads.Load(); n != 1 {
			t.Errorf("%d uploads, want 1", n)
		}
	})
}

// TestSyncMissingOriginal loses a stored original before its job runs: the
// job dies at once, saying which file is missing, while the case is made;
// once the file is back, retrying the job attaches it.
func TestSyncMissingOriginal(t *testing.T) {
	b := setupSync(t, syncSetup{api: hive.APIv1})
	dir := t.TempDir()
	raw := phishingReport("Shared document")
	inc := report(t, reportMailbox(t, b, dir), raw)
	rec := b.incident(t, inc.Number)
	var path string
	var seq int64
	for _, e := range rec.Timeline {
		if e.Kind == drone.EntryAttachment {
			var d struct{ Path string }
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			path, seq = d.Path, e.Seq
		}
	}
	if path == "" || !strings.HasPrefix(path, dir) {
		t.Fatalf("attachment entry names %q, want a file under %s", path, dir)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	b.deliver(t, 2)
	cs := b.onlyCase(t)
	if n := len(b.srv.Attachments(cs.ID)); n != 0 {
		t.Fatalf("case holds %d attachments, want none", n)
	}
	dead := b.jobs(t, store.Dead...)
	if len(dead) != 1 || dead[0].Attempt != 1 || !strings.Contains(dead[0].LastError, "no such file") ||
		!strings.Contains(string(dead[0].Args), `"seq":`+jsonInt(seq)) {
		t.Fatalf("dead jobs = %+v, want the attachment's job (entry %d), cancelled at once", dead, seq)
	}
	want := `INC-1: the stored file "Shared document.eml" cannot be sent to TheHive (` + path + ")"
	if !hasEntry(b.incident(t, inc.Number), drone.EntryDelivery, want) {
		t.Errorf("timeline lacks %q", want)
	}

	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.RetryJob(context.Background(), dead[0].ID); err != nil {
		t.Fatal(err)
	}
	b.deliver(t, 2)
	checkOriginal(t, b, inc, raw, "Shared document.eml")
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestPlannerPlansAttachments(t *testing.T) {
	inc := &drone.Incident{ID: "0190-abc"}
	jobs := hive.Planner{}.Plan(drone.Event{Kind: drone.EntryAttachment, Incident: inc, Entry: drone.Entry{Seq: 3}})
	if len(jobs) != 1 || jobs[0].UniqueKey != "hive.sync:0190-abc:3" ||
		jobs[0].Args != (hive.SyncArgs{IncidentID: "0190-abc", Seq: 3, EntryKind: drone.EntryAttachment}) {
		t.Errorf("planned %+v, want one hive.sync of entry 3", jobs)
	}
}
