package drone

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Timeline entries of follow-up actions, on their incident's timeline:
// the data of each is the action as it stands after the change.
const (
	EntryAction        = "action"         // an action was added
	EntryActionUpdated = "action_updated" // done, reopened, cancelled, owner or due date changed
)

// FollowUpStatus is where a follow-up action stands.
type FollowUpStatus string

// Action statuses.
const (
	ActionOpen      FollowUpStatus = "open"
	ActionDone      FollowUpStatus = "done"
	ActionCancelled FollowUpStatus = "cancelled"
)

// FollowUp is a follow-up action of an incident: work that outlives the
// incident (closing the incident leaves its actions as they are).
type FollowUp struct {
	ID         string         `json:"id"`     // UUID
	Number     int64          `json:"number"` // sequential per store: ACT-<Number>
	IncidentID string         `json:"incident_id"`
	Text       string         `json:"text"`
	Owner      string         `json:"owner,omitempty"` // identity "platform:id"
	Due        *time.Time     `json:"due,omitempty"`
	Status     FollowUpStatus `json:"status"`
	Note       string         `json:"note,omitempty"` // why it was last changed
	CreatedBy  Actor          `json:"created_by"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
	DoneAt     *time.Time     `json:"done_at,omitempty"` // when done or cancelled
	// External holds trackers' references ("hive.task_id", "jira.key").
	External map[string]string `json:"external,omitempty"`
}

// Ref returns the human reference, ACT-<number>.
func (ac *FollowUp) Ref() string { return "ACT-" + strconv.FormatInt(ac.Number, 10) }

// Open reports whether the action is still to be done.
func (ac *FollowUp) Open() bool { return ac.Status == ActionOpen }

// Overdue reports whether the action is open past its due date at now.
func (ac *FollowUp) Overdue(now time.Time) bool {
	return ac.Open() && ac.Due != nil && now.After(*ac.Due)
}

// ParseActionRef reads "ACT-7", "act-7" or "7".
func ParseActionRef(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if len(t) > 4 && strings.EqualFold(t[:4], "ACT-") {
		t = t[4:]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 1 {
		return 0, Errorf(EINVALID, "%q is not an action reference (expected ACT-<number>)", s)
	}
	return n, nil
}

// FollowUpFilter selects actions.
type FollowUpFilter struct {
	IncidentID string // "" means every incident
	Open       bool   // only open actions
	Owner      string // only this owner's
	DueBefore  time.Time
	Limit      int // 0 means 1000
}

// FollowUpInput is a new follow-up action.
type FollowUpInput struct {
	Text  string
	Owner string     // identity "platform:id", optional
	Due   *time.Time // optional
}

// AddFollowUp adds a follow-up action to an incident, open or closed.
func (s *Service) AddFollowUp(ctx context.Context, a Actor, o Origin, number int64, in FollowUpInput) (*FollowUp, error) {
	text := strings.TrimSpace(in.Text)
	if text == "" {
		return nil, Errorf(EINVALID, "say what the action is: action \"text\" @owner due 2026-12-20")
	}
	in.Due = storedTime(in.Due)
	var out *FollowUp
	err := s.change(ctx, a, o, number, PermUpdate, func(tx Tx, inc *Incident) error {
		n, err := tx.NextFollowUpNumber(ctx)
		if err != nil {
			return err
		}
		now := s.now()
		ac := &FollowUp{ID: uuid.NewString(), Number: n, IncidentID: inc.ID, Text: text, Owner: strings.TrimSpace(in.Owner),
			Due: in.Due, Status: ActionOpen, CreatedBy: a, CreatedAt: now, UpdatedAt: now}
		if err := tx.SaveFollowUp(ctx, ac); err != nil {
			return err
		}
		out = ac
		msg := fmt.Sprintf("%s added %s to %s: %s%s", a, ac.Ref(), inc.Ref(), text, ac.describeOwnerDue())
		return s.record(ctx, tx, inc, a, o, EntryAction, msg, ac, nil)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// storedTime is t as every store keeps it: UTC, to the microsecond, so
// that what the timeline's data and the planned jobs hold equals what is
// read back.
func storedTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC().Truncate(time.Microsecond)
	return &v
}

func (ac *FollowUp) describeOwnerDue() string {
	var b strings.Builder
	if ac.Owner != "" {
		b.WriteString(" (owner " + ac.Owner)
		if ac.Due != nil {
			b.WriteString(", due " + ac.Due.UTC().Format("2006-01-02"))
		}
		b.WriteString(")")
	} else if ac.Due != nil {
		b.WriteString(" (due " + ac.Due.UTC().Format("2006-01-02") + ")")
	}
	return b.String()
}

// FollowUpChange changes an action; empty fields keep their value.
type FollowUpChange struct {
	Status FollowUpStatus
	Owner  string
	Due    *time.Time
	Note   string
}

// UpdateFollowUp changes a follow-up action: its owner may mark it done or
// reopen it; anyone who may update incidents may change anything.
func (s *Service) UpdateFollowUp(ctx context.Context, a Actor, o Origin, number int64, c FollowUpChange) (*FollowUp, error) {
	if c.Status != "" && c.Status != ActionOpen && c.Status != ActionDone && c.Status != ActionCancelled {
		return nil, invalidChoice("action status", string(c.Status), []string{string(ActionOpen), string(ActionDone), string(ActionCancelled)})
	}
	c.Due = storedTime(c.Due)
	return s.changeFollowUp(ctx, a, o, number, func(ac *FollowUp) (string, bool) {
		if !s.mayChangeFollowUp(a, ac, c) {
			return "", false
		}
		return s.applyFollowUpChange(ac, a, c), true
	})
}

// SyncFollowUp records on an action a change made in another system (its
// tracker's ticket closed or reopened there), brought back by that
// system's integration. It needs no role here: whoever made the change
// was allowed to make it there.
func (s *Service) SyncFollowUp(ctx context.Context, a Actor, o Origin, number int64, c FollowUpChange) (*FollowUp, error) {
	return s.changeFollowUp(ctx, a, o, number, func(ac *FollowUp) (string, bool) {
		return s.applyFollowUpChange(ac, a, c), true
	})
}

// SetFollowUpExternal records trackers' references on an action (a TheHive
// task id, a Jira issue key), with a timeline entry saying so. Integrations
// call it; it needs no role.
func (s *Service) SetFollowUpExternal(ctx context.Context, a Actor, number int64, values map[string]string, text string) (*FollowUp, error) {
	return s.changeFollowUp(ctx, a, Origin{Channel: a.Platform}, number, func(ac *FollowUp) (string, bool) {
		if ac.External == nil {
			ac.External = map[string]string{}
		}
		for k, v := range values {
			ac.External[k] = v
		}
		ac.UpdatedAt = s.now()
		return text, true
	})
}

// changeFollowUp loads an action and its incident in one transaction, lets
// fn change the action (or refuse), and records the change on the
// incident's timeline; a refusal is recorded too.
func (s *Service) changeFollowUp(ctx context.Context, a Actor, o Origin, number int64, fn func(*FollowUp) (string, bool)) (*FollowUp, error) {
	found, err := s.Store.FollowUp(ctx, number)
	if err != nil {
		return nil, err
	}
	owner, err := s.Store.IncidentByID(ctx, found.IncidentID)
	if err != nil {
		return nil, err
	}
	var out *FollowUp
	denied := false
	err = s.Store.Update(ctx, func(tx Tx) error {
		denied = false
		inc, err := tx.Incident(ctx, owner.Number) // locks the incident: its timeline is written
		if err != nil {
			return err
		}
		ac, err := tx.FollowUp(ctx, number)
		if err != nil {
			return err
		}
		text, ok := fn(ac)
		if !ok {
			denied = true
			text := fmt.Sprintf("%s tried to change %s of %s without a role that allows it", a, ac.Ref(), inc.Ref())
			return s.record(ctx, tx, inc, a, o, EntryDenied, text, map[string]string{"permission": string(PermUpdate)}, nil)
		}
		if err := tx.SaveFollowUp(ctx, ac); err != nil {
			return err
		}
		out = ac
		return s.record(ctx, tx, inc, a, o, EntryActionUpdated, text, ac, nil)
	})
	if err == nil && denied {
		return nil, s.forbidden(PermUpdate)
	}
	return out, err
}

func (s *Service) mayChangeFollowUp(a Actor, ac *FollowUp, c FollowUpChange) bool {
	if s.Roles.Allows(a, PermUpdate) {
		return true
	}
	ownOnly := c.Owner == "" && c.Due == nil && c.Status != ActionCancelled
	return ownOnly && ac.Owner != "" && strings.EqualFold(ac.Owner, a.Identity())
}

// applyFollowUpChange edits ac and says what the actor did, for the
// timeline ("alice marked ACT-3 done").
func (s *Service) applyFollowUpChange(ac *FollowUp, a Actor, c FollowUpChange) string {
	now := s.now()
	var did []string
	if c.Status != "" && c.Status != ac.Status {
		ac.Status = c.Status
		if c.Status == ActionOpen {
			ac.DoneAt = nil
			did = append(did, "reopened "+ac.Ref())
		} else {
			ac.DoneAt = &now
			did = append(did, "marked "+ac.Ref()+" "+string(c.Status))
		}
	}
	if o := strings.TrimSpace(c.Owner); o != "" && o != ac.Owner {
		ac.Owner = o
		did = append(did, "gave "+ac.Ref()+" to "+o)
	}
	if c.Due != nil && (ac.Due == nil || !ac.Due.Equal(*c.Due)) {
		ac.Due = c.Due
		did = append(did, "set "+ac.Ref()+" due "+c.Due.UTC().Format("2006-01-02"))
	}
	if n := strings.TrimSpace(c.Note); n != "" {
		ac.Note = n
	}
	ac.UpdatedAt = now
	if len(did) == 0 {
		did = append(did, "changed nothing of "+ac.Ref())
	}
	text := a.String() + " " + strings.Join(did, ", ")
	if ac.Note != "" && c.Note != "" {
		text += ": " + ac.Note
	}
	return text
}

// FollowUp returns the follow-up action ACT-<number>.
func (s *Service) FollowUp(ctx context.Context, number int64) (*FollowUp, error) {
	return s.Store.FollowUp(ctx, number)
}

// FollowUps lists follow-up actions, oldest first.
func (s *Service) FollowUps(ctx context.Context, f FollowUpFilter) ([]*FollowUp, error) {
	return s.Store.FollowUps(ctx, f)
}
