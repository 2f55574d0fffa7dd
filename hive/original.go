package hive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ttp0/drone/drone"
)

// ExtOriginalPrefix prefixes the reference the sync records for each file
// kept for an incident (its attachment entries, such as a reported
// message) once the case holds it: "hive.original.<sha256>" is the id of
// the file observable.
const ExtOriginalPrefix = "hive.original."

// original is a file kept for an incident, as its attachment entry names
// it.
type original struct {
	seq               int64 // of the attachment entry
	sha256            string
	name, path, ctype string
	text              string
	actor             drone.Actor
}

// originalData is the data of an attachment entry that the sync reads.
type originalData struct {
	SHA256      string `json:"sha256"`
	Name        string `json:"name"`
	Path        string `json:"path"`
	ContentType string `json:"content_type"`
}

// originals returns the files the incident's attachment entries name,
// once per content, oldest first. An entry that names no file it can
// read is logged and skipped: no retry would make it name one.
func (w *Worker) originals(ctx context.Context, st *incidentState) []original {
	var out []original
	seen := map[string]bool{}
	for _, e := range st.timeline {
		if e.Kind != drone.EntryAttachment {
			continue
		}
		var d originalData
		err := json.Unmarshal(e.Data, &d)
		if err != nil || !isSHA256(d.SHA256) || d.Path == "" {
			w.log.WarnContext(ctx, "an attachment entry names no stored file; not sending it to TheHive",
				"incident", st.inc.Ref(), "seq", e.Seq, "err", err)
			continue
		}
		if seen[d.SHA256] {
			continue
		}
		seen[d.SHA256] = true
		out = append(out, original{seq: e.Seq, sha256: d.SHA256, name: first(d.Name, filepath.Base(d.Path)),
			path: d.Path, ctype: d.ContentType, text: e.Text, actor: e.Actor})
	}
	return out
}

func isSHA256(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == sha256.Size && s == hex.EncodeToString(b)
}

// fileError is a kept file the sync cannot read. Only the sync of the
// file's own entry fails for it, for good; the others leave it be.
type fileError struct {
	ref string
	o   original
	err error
}

func (e *fileError) Error() string {
	return fmt.Sprintf("%s: the stored file %q cannot be sent to TheHive (%s): %v", e.ref, e.o.name, e.o.path, e.err)
}

func (e *fileError) Unwrap() error { return e.err }

// attachOriginals puts each file kept for the incident that the incident
// does not record as sent into its case, and returns the file observables'
// ids by SHA-256. seq is the sync's own entry. Like pushObservables, a
// failure of one file does not stop the others; trouble with TheHive
// itself does.
func (w *Worker) attachOriginals(ctx context.Context, cs caseRef, st *incidentState, seq int64) (map[string]string, error) {
	if err := w.loadTimeline(ctx, st); err != nil {
		return nil, err
	}
	sent := map[string]string{}
	var errs syncErrors
	for _, o := range w.originals(ctx, st) {
		if st.inc.External[ExtOriginalPrefix+o.sha256] != "" {
			continue
		}
		id, err := w.attachOriginal(ctx, cs, st.inc, o)
		var fe *fileError
		switch {
		case err == nil:
			sent[o.sha256] = id
		case errors.As(err, &fe) && o.seq != seq:
			w.log.WarnContext(ctx, "a stored file is unreadable; the sync of its own entry reports it", "err", err)
		case Retryable(err):
			return sent, append(errs, err).err()
		default:
			errs = append(errs, err)
		}
	}
	return sent, errs.err()
}

// attachOriginal returns the id of the case's file observable of o,
// uploading o unless the case holds it already: an earlier attempt may
// have uploaded it and lost the answer, or failed to record it.
func (w *Worker) attachOriginal(ctx context.Context, cs caseRef, inc *drone.Incident, o original) (string, error) {
	if !cs.created { // a case made by this sync holds nothing yet
		if id, err := w.findOriginal(ctx, cs, inc, o); err != nil || id != "" {
			return id, err
		}
	}
	content, err := readOriginal(o)
	if err != nil {
		return "", drone.Permanent(&fileError{ref: inc.Ref(), o: o, err: err})
	}
	res, err := w.client.CreateFileObservable(ctx, cs.id, FileObservableInput{Name: o.name, ContentType: o.ctype,
		Content: content, Message: originalMessage(inc, o), TLP: inc.TLP, PAP: inc.PAP})
	if err != nil {
		return "", fmt.Errorf("%s: %w", inc.Ref(), err)
	}
	if fails := res.Errors(); len(fails) > 0 {
		return "", &observableError{ref: inc.Ref(), dataType: DataTypeFile, failures: fails}
	}
	if len(res.Created) > 0 {
		return res.Created[0].ID, nil
	}
	// A duplicate: the case got the file since the look-up above.
	id, err := w.findOriginal(ctx, cs, inc, o)
	if err == nil && id == "" {
		err = fmt.Errorf("%s: TheHive says case #%d already holds %q (sha256 %s) but does not list it yet", inc.Ref(), cs.number, o.name, o.sha256)
	}
	return id, err
}

func (w *Worker) findOriginal(ctx context.Context, cs caseRef, inc *drone.Incident, o original) (string, error) {
	found, err := w.client.FindFileObservable(ctx, cs.id, o.sha256)
	if err != nil {
		return "", fmt.Errorf("%s: %w", inc.Ref(), err)
	}
	if found == nil {
		return "", nil
	}
	return found.ID, nil
}

// readOriginal reads a kept file, checking it is the content the entry
// recorded.
func readOriginal(o original) ([]byte, error) {
	content, err := os.ReadFile(o.path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(content)
	if got := hex.EncodeToString(sum[:]); got != o.sha256 {
		return nil, fmt.Errorf("its content changed since it was recorded (sha256 %s, recorded %s)", got, o.sha256)
	}
	return content, nil
}

// originalMessage says what the file is and who kept it for which incident.
func originalMessage(inc *drone.Incident, o original) string {
	return fmt.Sprintf("Kept for %s by %s (%s): %s.", inc.Ref(), o.actor.String(), o.actor.Identity(), o.text)
}
