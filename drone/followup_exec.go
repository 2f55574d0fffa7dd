package drone

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// execAction runs "action": add one (action [INC-n] "TEXT" [@owner] [due
// DATE]) or change one (action done|reopen|cancel ACT-n [NOTE]).
func (s *Service) execAction(ctx context.Context, a Actor, o Origin, cmd Command, here int64) (*Reply, error) {
	if len(cmd.Args) > 0 {
		switch verb := strings.ToLower(cmd.Args[0]); verb {
		case "done", "reopen", "cancel":
			return s.execActionChange(ctx, a, o, verb, cmd.Args[1:], here)
		}
	}
	if cmd.Ref == 0 {
		return nil, Errorf(EINVALID, "which incident? Name it (INC-n) or use the command in the incident's channel")
	}
	in, err := ParseFollowUpInput(cmd.Args, cmd.Flags, a, s.now())
	if err != nil {
		return nil, err
	}
	ac, err := s.AddFollowUp(ctx, a, o, cmd.Ref, in)
	if err != nil {
		return nil, err
	}
	return &Reply{Text: fmt.Sprintf("INC-%d: added %s %s%s", cmd.Ref, ac.Ref(), ac.Text, ac.describeOwnerDue()), Public: true}, nil
}

func (s *Service) execActionChange(ctx context.Context, a Actor, o Origin, verb string, args []string, here int64) (*Reply, error) {
	if len(args) == 0 {
		return nil, Errorf(EINVALID, "usage: action %s ACT-n [NOTE]", verb)
	}
	n, err := ParseActionRef(args[0])
	if err != nil {
		return nil, err
	}
	if err := s.followUpVisible(ctx, a, n, here); err != nil {
		return nil, err
	}
	note := strings.Join(args[1:], " ")
	c := FollowUpChange{Note: note}
	switch verb {
	case "done":
		c.Status = ActionDone
	case "reopen":
		c.Status = ActionOpen
	case "cancel":
		if strings.TrimSpace(note) == "" {
			return nil, Errorf(EINVALID, "say why ACT-%d is cancelled: action cancel ACT-%d REASON", n, n)
		}
		c.Status = ActionCancelled
	}
	ac, err := s.UpdateFollowUp(ctx, a, o, n, c)
	if err != nil {
		return nil, err
	}
	return &Reply{Text: fmt.Sprintf("%s is %s: %s", ac.Ref(), ac.Status, ac.Text), Public: true}, nil
}

// execActions runs "actions [INC-n|open|mine|overdue]": an incident's
// actions (all of them), or across incidents the open ones, the actor's
// own, or those past due.
func (s *Service) execActions(ctx context.Context, a Actor, cmd Command, here int64) (*Reply, error) {
	f := FollowUpFilter{Limit: 100}
	which := ""
	if len(cmd.Args) > 0 {
		which = strings.ToLower(strings.TrimLeft(cmd.Args[0], "-"))
	}
	for k := range cmd.Flags {
		which = k
	}
	switch which {
	case "":
		if cmd.Ref == 0 {
			f.Open = true
			break
		}
		inc, err := s.Store.Incident(ctx, cmd.Ref)
		if err != nil {
			return nil, err
		}
		f.IncidentID = inc.ID
	case "open":
		f.Open = true
	case "mine":
		f.Open, f.Owner = true, a.Identity()
	case "overdue":
		f.Open, f.DueBefore = true, s.now()
	default:
		return nil, Errorf(EINVALID, "usage: actions [INC-n|open|mine|overdue]")
	}
	list, err := s.FollowUps(ctx, f)
	if err != nil {
		return nil, err
	}
	if f.IncidentID == "" {
		list = s.seenBy(ctx, a, list, here)
	}
	return &Reply{Text: RenderFollowUps(list, s.IncidentRefs(ctx, list), s.now())}, nil
}

// seenBy leaves out of a listing across incidents the actions of the
// incidents a may not see from here (drone.Service.CanSee; and of
// incidents it cannot read): a private incident's work tells of the
// incident.
func (s *Service) seenBy(ctx context.Context, a Actor, list []*FollowUp, here int64) []*FollowUp {
	keep := map[string]bool{}
	out := list[:0]
	for _, ac := range list {
		ok, seen := keep[ac.IncidentID]
		if !seen {
			inc, err := s.Store.IncidentByID(ctx, ac.IncidentID)
			ok = err == nil && s.CanSee(a, inc, here)
			keep[ac.IncidentID] = ok
		}
		if ok {
			out = append(out, ac)
		}
	}
	return out
}

// followUpVisible answers for an action of an incident a may not see
// as for a missing action, as naming the incident does.
func (s *Service) followUpVisible(ctx context.Context, a Actor, number, here int64) error {
	ac, err := s.Store.FollowUp(ctx, number)
	if err != nil {
		return err
	}
	inc, err := s.Store.IncidentByID(ctx, ac.IncidentID)
	if err != nil {
		return err
	}
	if !s.CanSee(a, inc, here) {
		return Errorf(ENOTFOUND, "there is no ACT-%d", number)
	}
	return nil
}

// IncidentRefs maps the incidents of actions to their INC-n references
// ("?" for one it cannot read).
func (s *Service) IncidentRefs(ctx context.Context, list []*FollowUp) map[string]string {
	refs := map[string]string{}
	for _, ac := range list {
		if _, ok := refs[ac.IncidentID]; ok {
			continue
		}
		if inc, err := s.Store.IncidentByID(ctx, ac.IncidentID); err == nil {
			refs[ac.IncidentID] = inc.Ref()
		} else {
			refs[ac.IncidentID] = "?"
		}
	}
	return refs
}

// RenderFollowUps is a plain-text table of actions: reference, incident,
// status (overdue when open past due at now), owner, due date and text.
func RenderFollowUps(list []*FollowUp, incidents map[string]string, now time.Time) string {
	if len(list) == 0 {
		return "No actions."
	}
	var b strings.Builder
	for _, ac := range list {
		status := string(ac.Status)
		if ac.Overdue(now) {
			status = "overdue"
		}
		due := "-"
		if ac.Due != nil {
			due = ac.Due.UTC().Format("2006-01-02")
		}
		fmt.Fprintf(&b, "%-7s %-7s %-9s %-10s %-18s %s\n", ac.Ref(), incidents[ac.IncidentID], status, due, orDefault(ac.Owner, "-"), ac.Text)
	}
	return strings.TrimRight(b.String(), "\n")
}

var inDays = regexp.MustCompile(`^(\d+)([dwh])$`)

// ParseDue reads a due date: YYYY-MM-DD (the end of that day, UTC), or
// "in 3d" / "3d" / "2w" / "12h" from now.
func ParseDue(words []string, now time.Time) (time.Time, error) {
	w := strings.Join(words, " ")
	w = strings.TrimSpace(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(w)), "in "))
	if t, err := time.Parse("2006-01-02", w); err == nil {
		return t.Add(24*time.Hour - time.Second), nil
	}
	if m := inDays.FindStringSubmatch(w); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
		if n > 0 && n <= 3650 {
			return now.Add(time.Duration(n) * unit), nil
		}
	}
	return time.Time{}, Errorf(EINVALID, "due %q is not a date: give YYYY-MM-DD or in 3d", w)
}

// ParseFollowUpInput reads a new action from the words of "action": its
// text (quoted, or every word left), an owner (@name, or an identity such
// as slack:U123, or owner=), and a due date (due 2026-12-20, due in 3d, or
// due=). A bare @name is a user of the actor's own platform.
func ParseFollowUpInput(args []string, flags map[string]string, a Actor, now time.Time) (FollowUpInput, error) {
	var in FollowUpInput
	words := append([]string(nil), args...)
	for i := 0; i < len(words); i++ {
		// "due" before a date or "in": the due date; before another word
		// ("review due diligence"), part of the text.
		if !strings.EqualFold(words[i], "due") || i+1 >= len(words) || !dateLike(words[i+1]) {
			continue
		}
		n := 1
		if strings.EqualFold(words[i+1], "in") && i+2 < len(words) {
			n = 2
		}
		t, err := ParseDue(words[i+1:i+1+n], now)
		if err != nil {
			return in, err
		}
		in.Due = &t
		words = append(words[:i], words[i+1+n:]...)
		break
	}
	var text []string
	for _, w := range words {
		if owner, ok := ownerWord(w, a); ok && in.Owner == "" && len(text) > 0 {
			in.Owner = owner
			continue
		}
		text = append(text, w)
	}
	in.Text = strings.Join(text, " ")
	if v := flags["owner"]; v != "" {
		in.Owner, _ = ownerWord(v, a)
		if in.Owner == "" {
			in.Owner = identityOf(v, a)
		}
	}
	if v := flags["due"]; v != "" {
		t, err := ParseDue([]string{v}, now)
		if err != nil {
			return in, err
		}
		in.Due = &t
	}
	if strings.TrimSpace(in.Text) == "" {
		return in, Errorf(EINVALID, "say what the action is: action \"text\" @owner due 2026-12-20")
	}
	return in, nil
}

func dateLike(w string) bool {
	return strings.EqualFold(w, "in") || (w != "" && w[0] >= '0' && w[0] <= '9')
}

var identityWord = regexp.MustCompile(`^(slack|discord|local|web|email):[A-Za-z0-9._@-]+$`)

// ownerWord reads a word naming an owner: "@alice" or an identity such
// as "slack:U123".
func ownerWord(w string, a Actor) (string, bool) {
	if strings.HasPrefix(w, "@") && len(w) > 1 {
		return identityOf(w[1:], a), true
	}
	if identityWord.MatchString(w) {
		return w, true
	}
	return "", false
}

func identityOf(name string, a Actor) string {
	if strings.Contains(name, ":") {
		return name
	}
	return a.Platform + ":" + name
}

// execSnooze runs "snooze [INC-n] DURATION REASON".
func (s *Service) execSnooze(ctx context.Context, a Actor, o Origin, cmd Command) (*Reply, error) {
	if len(cmd.Args) < 2 {
		return nil, Errorf(EINVALID, "usage: snooze [INC-n] DURATION REASON, such as snooze 45m waiting for the vendor")
	}
	d, err := time.ParseDuration(cmd.Args[0])
	if err != nil {
		return nil, Errorf(EINVALID, "%q is not a duration such as 45m or 2h", cmd.Args[0])
	}
	inc, err := s.Snooze(ctx, a, o, cmd.Ref, d, strings.Join(cmd.Args[1:], " "))
	if err != nil {
		return nil, err
	}
	return &Reply{Text: fmt.Sprintf("%s: next update due %s", inc.Ref(), inc.NextUpdateDue.Format("2006-01-02 15:04 MST")),
		Incident: inc, Public: true}, nil
}
