package drone

import (
	"context"
	"fmt"
	"time"
)

// EntryViewed records that someone looked at an incident whose TLP asks
// that every access be known (TLP:RED): its data says what was looked at.
const EntryViewed = "viewed"

// refView is the reference key that makes RecordView record once a window.
const refView = "entry.view"

// RecordView records on an incident's timeline that a looked at it (what:
// "incident page", "evidence export"), at most once per actor, incident,
// what and window: a page refreshed in a loop records one entry per window,
// not one per refresh. It reports whether it recorded. Viewing needs no
// permission: the adapter decides who may see.
func (s *Service) RecordView(ctx context.Context, a Actor, o Origin, number int64, what string, window time.Duration) (bool, error) {
	if window <= 0 {
		window = time.Minute
	}
	bucket := s.now().Truncate(window).Unix()
	recorded := false
	err := s.Store.Update(ctx, func(tx Tx) error {
		recorded = false
		inc, err := tx.Incident(ctx, number)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%s/%s/%s/%d", inc.ID, a.Identity(), what, bucket)
		if n, err := tx.FindRef(ctx, refView, key); err != nil || n != 0 {
			return err
		}
		if err := tx.PutRef(ctx, inc.ID, refView, key); err != nil {
			return err
		}
		recorded = true
		text := fmt.Sprintf("%s viewed %s (TLP:%s): %s", a, inc.Ref(), inc.TLP, what)
		return s.record(ctx, tx, inc, a, o, EntryViewed, text, map[string]string{"what": what, "tlp": inc.TLP}, nil)
	})
	if err != nil {
		return false, fmt.Errorf("recording a view of INC-%d: %w", number, err)
	}
	return recorded, nil
}
