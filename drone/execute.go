package drone

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ttp0/drone/drone/ioc"
)

// Reply is the platform-neutral answer to a command. Adapters render it in
// their own widgets; Text is always a complete plain-text rendering.
type Reply struct {
	Text      string
	Incident  *Incident   // the incident the reply is about, if any
	Record    *Record     // for show
	Incidents []*Incident // for list
	Added     *AddResult  // for ioc and declare
	// Dialog, when set, asks the adapter to open this dialog instead of
	// answering: the command needs fields the user did not type.
	Dialog *Dialog
	// Public says the reply is meant for the whole channel; otherwise only
	// the user who asked should see it.
	Public bool
}

// Execute runs a parsed command for an actor. here is the incident of the
// channel the command came from (0 when none), used when the command names
// no incident.
func (s *Service) Execute(ctx context.Context, a Actor, o Origin, cmd Command, here int64) (*Reply, error) {
	r, err := s.execute(ctx, a, o, cmd, here)
	if err == nil && r != nil && r.Public && r.Incident != nil && s.IsPrivate(r.Incident) && r.Incident.Number != here {
		// A private incident is news for its own channel only: elsewhere
		// (a public channel its lead typed in) only the one who asked sees
		// the answer.
		r.Public = false
	}
	return r, err
}

func (s *Service) execute(ctx context.Context, a Actor, o Origin, cmd Command, here int64) (*Reply, error) {
	if cmd.Ref == 0 {
		cmd.Ref = here
	}
	switch cmd.Name {
	case "", "help":
		topic := ""
		if len(cmd.Args) > 0 {
			topic = cmd.Args[0]
		}
		return &Reply{Text: s.Grammar().Help(topic)}, nil
	case "declare":
		return s.execDeclare(ctx, a, o, cmd)
	case "access":
		// The same answer whether the incident exists or may be seen.
		return s.execAccess(ctx, a, o, cmd)
	}
	// A private incident is, to whoever may not see it, no incident at
	// all: every command naming it gets the missing incident's answer.
	if cmd.Ref != 0 {
		if _, err := s.Visible(ctx, a, cmd.Ref, here); err != nil {
			return nil, err
		}
	}
	switch cmd.Name {
	case "list":
		return s.execList(ctx, a, cmd, here)
	case "action":
		return s.execAction(ctx, a, o, cmd, here)
	case "actions":
		return s.execActions(ctx, a, cmd, here)
	case "enrich":
		return s.execEnrich(ctx, a, cmd)
	}
	if ext, ok := s.extension(cmd.Name); ok {
		return ext.Run(ctx, a, o, cmd)
	}
	if cmd.Ref == 0 {
		return nil, Errorf(EINVALID, "which incident? Name it (INC-n) or use the command in the incident's channel")
	}
	switch cmd.Name {
	case "show":
		rec, err := s.Get(ctx, cmd.Ref)
		if err != nil {
			return nil, err
		}
		return &Reply{Text: RenderRecord(rec), Incident: rec.Incident, Record: rec}, nil
	case "ioc":
		return s.execIOC(ctx, a, o, cmd)
	case "ack":
		inc, err := s.Acknowledge(ctx, a, o, cmd.Ref)
		return changed(inc, err, func() string { return inc.Ref() + " acknowledged; lead: " + inc.Lead })
	case "lead":
		if len(cmd.Args) == 0 {
			return nil, Errorf(EINVALID, "usage: lead [INC-n] USER")
		}
		inc, err := s.SetLead(ctx, a, o, cmd.Ref, cmd.Args[0])
		return changed(inc, err, func() string { return inc.Ref() + " is now led by " + inc.Lead })
	case "role":
		return s.execRole(ctx, a, o, cmd)
	case "grant":
		if len(cmd.Args) == 0 {
			return nil, Errorf(EINVALID, "usage: grant [INC-n] USER")
		}
		inc, err := s.Grant(ctx, a, o, cmd.Ref, cmd.Args[0])
		return changed(inc, err, func() string { return cmd.Args[0] + " may now see " + inc.Ref() })
	case "status":
		return s.execStatus(ctx, a, o, cmd)
	case "close":
		return s.execClose(ctx, a, o, cmd)
	case "snooze":
		return s.execSnooze(ctx, a, o, cmd)
	case "reopen":
		inc, err := s.Reopen(ctx, a, o, cmd.Ref, strings.Join(cmd.Args, " "))
		return changed(inc, err, func() string { return inc.Ref() + " reopened; status " + string(inc.Status) })
	}
	return nil, Errorf(EINVALID, "%s is not available: it is not enabled in this drone; commands: %s", cmd.Name, s.Grammar().names())
}

// changed is the public reply to a change of an incident, or its error.
func changed(inc *Incident, err error, text func() string) (*Reply, error) {
	if err != nil {
		return nil, err
	}
	return &Reply{Text: text(), Incident: inc, Public: true}, nil
}

func (s *Service) execDeclare(ctx context.Context, a Actor, o Origin, cmd Command) (*Reply, error) {
	if len(cmd.Flags) == 0 {
		if !s.Roles.Allows(a, PermDeclare) {
			return nil, s.forbidden(PermDeclare)
		}
		d := s.DeclareDialog()
		return &Reply{Text: "Opening the declare dialog.", Dialog: &d}, nil
	}
	in, err := DeclareInputFromFlags(cmd.Flags)
	if err != nil {
		return nil, err
	}
	if in.Overview == "" && len(cmd.Args) > 0 {
		in.Overview = strings.Join(cmd.Args, " ")
	}
	inc, res, err := s.Declare(ctx, a, o, in)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("Declared %s: %s", inc.Ref(), inc.Title)
	if n := len(res.Added) + len(res.Rejected); n > 0 {
		text += "\n" + RenderAddResult(res)
	}
	return &Reply{Text: text, Incident: inc, Added: &res, Public: true}, nil
}

// execList lists the incidents a may see from the channel of here
// (CanSee): a private incident only to its people, in its own channel and
// to the holders of PermPrivate.
func (s *Service) execList(ctx context.Context, a Actor, cmd Command, here int64) (*Reply, error) {
	const shown = 25
	f := IncidentFilter{Open: true, Limit: 4 * shown}
	if len(cmd.Args) > 0 && strings.EqualFold(cmd.Args[0], "all") {
		f.Open = false
	}
	incs, err := s.Store.Incidents(ctx, f)
	if err != nil {
		return nil, err
	}
	seen := incs[:0]
	for _, inc := range incs {
		if s.CanSee(a, inc, here) && len(seen) < shown {
			seen = append(seen, inc)
		}
	}
	return &Reply{Text: RenderList(seen), Incidents: seen}, nil
}

// execRole runs "role [INC-n] ROLE USER" ("none" for USER releases it).
func (s *Service) execRole(ctx context.Context, a Actor, o Origin, cmd Command) (*Reply, error) {
	if len(cmd.Args) == 0 {
		return nil, Errorf(EINVALID, "usage: role [INC-n] ROLE USER — roles: lead, scribe, communications, legal, member; USER none releases the role")
	}
	who := ""
	if len(cmd.Args) > 1 {
		who = cmd.Args[1]
	}
	role, err := ParseIncidentRole(cmd.Args[0])
	if err != nil {
		return nil, err
	}
	inc, err := s.AssignRole(ctx, a, o, cmd.Ref, role, who)
	return changed(inc, err, func() string {
		if h := inc.Holder(role); h != "" && role != RoleMember {
			return inc.Ref() + ": " + role + " is now " + h
		}
		if role == RoleMember {
			return who + " may now see " + inc.Ref()
		}
		return inc.Ref() + ": nobody is " + role + " now"
	})
}

// execAccess runs "access INC-n [REASON]": the answer is the same whether
// the incident exists, is private or not.
func (s *Service) execAccess(ctx context.Context, a Actor, o Origin, cmd Command) (*Reply, error) {
	if cmd.Ref == 0 {
		return nil, Errorf(EINVALID, "usage: access INC-n [REASON]")
	}
	if err := s.RequestAccess(ctx, a, o, cmd.Ref, strings.Join(cmd.Args, " ")); err != nil {
		return nil, err
	}
	return &Reply{Text: AccessAnswer}, nil
}

func (s *Service) execEnrich(ctx context.Context, a Actor, cmd Command) (*Reply, error) {
	text := cmd.Text
	if w, rest := cutWord(text); IsRef(w) {
		text = rest // a reference typed first is no indicator
	}
	if strings.TrimSpace(text) == "" {
		return nil, Errorf(EINVALID, "usage: enrich INDICATOR — an IP address, domain, URL, hash, e-mail...")
	}
	es, err := s.Enrich(ctx, a, text)
	if err != nil {
		return nil, err
	}
	return &Reply{Text: RenderEnrichment(es, s.Enrichers)}, nil
}

func (s *Service) execIOC(ctx context.Context, a Actor, o Origin, cmd Command) (*Reply, error) {
	text := cmd.Text
	if w, rest := cutWord(text); IsRef(w) {
		text = rest
	}
	if strings.TrimSpace(text) == "" {
		return nil, Errorf(EINVALID, "usage: ioc [INC-n] TEXT — paste the text that holds the indicators")
	}
	res, err := s.AddObservables(ctx, a, o, cmd.Ref, ObservableInput{Text: text})
	if err != nil {
		return nil, err
	}
	return &Reply{Text: fmt.Sprintf("INC-%d: %s", cmd.Ref, s.RenderAdded(ctx, a, res)), Added: &res}, nil
}

// RenderAdded is RenderAddResult followed by the incidents that held the
// same indicators before ("Seen before: INC-3 (2 shared: ...)"), for every
// surface that answers an analyst who added indicators. The indicators are
// added by then: a failed look-up of where else they were seen is said,
// not turned into a failure. Only incidents a may see are named.
func (s *Service) RenderAdded(ctx context.Context, a Actor, res AddResult) string {
	text := RenderAddResult(res)
	line, err := s.seenBefore(ctx, a, append(append([]Observable(nil), res.Added...), res.Known...))
	if err != nil {
		line = "Seen before: not known now (" + err.Error() + ")"
	}
	if line != "" {
		text += "\n" + line
	}
	return text
}

// maxSeenBefore bounds the indicators of one answer asked about: the
// answer is a hint, and each costs a query.
const maxSeenBefore = 50

// seenBefore says which other incidents held the indicators, the most
// shared first: "Seen before: INC-3 (2 shared: 203.0.113[.]7, ...)", or ""
// for none. These are the similar incidents by shared indicators.
func (s *Service) seenBefore(ctx context.Context, a Actor, obs []Observable) (string, error) {
	shared := map[int64][]string{}
	for i, o := range obs {
		if i == maxSeenBefore {
			break
		}
		ss, err := s.SightingsSeenBy(ctx, a, string(o.Type), o.Value, 20)
		if err != nil {
			return "", fmt.Errorf("reading where %s was seen: %w", o.Value, err)
		}
		for _, si := range ss {
			if si.IncidentID != o.IncidentID {
				shared[si.Number] = append(shared[si.Number], ioc.Defang(o.Type, o.Value))
			}
		}
	}
	if len(shared) == 0 {
		return "", nil
	}
	nums := make([]int64, 0, len(shared))
	for n := range shared {
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool {
		if a, b := len(shared[nums[i]]), len(shared[nums[j]]); a != b {
			return a > b
		}
		return nums[i] > nums[j]
	})
	parts := make([]string, 0, len(nums))
	for i, n := range nums {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(nums)-5))
			break
		}
		vals := shared[n]
		if len(vals) > 3 {
			vals = append(vals[:3:3], "...")
		}
		parts = append(parts, fmt.Sprintf("INC-%d (%d shared: %s)", n, len(shared[n]), strings.Join(vals, ", ")))
	}
	return "Seen before: " + strings.Join(parts, "; "), nil
}

func (s *Service) execStatus(ctx context.Context, a Actor, o Origin, cmd Command) (*Reply, error) {
	in := UpdateInput{}
	args := cmd.Args
	if len(args) > 0 {
		if st, err := ParseStatus(args[0]); err == nil {
			in.Status, args = st, args[1:]
		}
	}
	if v, ok := cmd.Flags["status"]; ok {
		st, err := ParseStatus(v)
		if err != nil {
			return nil, err
		}
		in.Status = st
	}
	if v, ok := cmd.Flags["next"]; ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, Errorf(EINVALID, "next=%q is not a duration such as 30m or 4h", v)
		}
		in.NextUpdateIn = d
	}
	in.Summary = strings.Join(args, " ")
	if in.Summary == "" && in.Status == "" {
		inc, err := s.Store.Incident(ctx, cmd.Ref)
		if err != nil {
			return nil, err
		}
		d := s.StatusDialog(inc)
		return &Reply{Text: "Opening the status dialog.", Dialog: &d, Incident: inc}, nil
	}
	inc, err := s.PostUpdate(ctx, a, o, cmd.Ref, in)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("%s is %s", inc.Ref(), inc.Status)
	if inc.NextUpdateDue != nil {
		text += "; next update due " + inc.NextUpdateDue.Format("2006-01-02 15:04 MST")
	}
	return &Reply{Text: text, Incident: inc, Public: true}, nil
}

func (s *Service) execClose(ctx context.Context, a Actor, o Origin, cmd Command) (*Reply, error) {
	in := CloseInput{Resolution: cmd.Flags["resolution"], Impact: cmd.Flags["impact"], Summary: cmd.Flags["summary"]}
	args := cmd.Args
	if in.Resolution == "" && len(args) > 0 {
		if r, ok := matchName(Resolutions, args[0]); ok {
			in.Resolution, args = r, args[1:]
		}
	}
	if in.Impact == "" && len(args) > 0 {
		if i, ok := matchName(Impacts, args[0]); ok {
			in.Impact, args = i, args[1:]
		}
	}
	if in.Summary == "" {
		in.Summary = strings.Join(args, " ")
	}
	if in.Resolution == "" && in.Summary == "" {
		inc, err := s.Store.Incident(ctx, cmd.Ref)
		if err != nil {
			return nil, err
		}
		d := s.CloseDialog(inc)
		return &Reply{Text: "Opening the close dialog.", Dialog: &d, Incident: inc}, nil
	}
	inc, err := s.Close(ctx, a, o, cmd.Ref, in)
	if err != nil {
		return nil, err
	}
	return &Reply{Text: fmt.Sprintf("%s closed as %s (%s)", inc.Ref(), inc.Resolution, inc.Impact), Incident: inc, Public: true}, nil
}

// RenderAddResult says in a sentence or three what became of submitted
// indicators: how many are new, already known, and what was rejected and why.
func RenderAddResult(r AddResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d new, %d already known, %d rejected", len(r.Added), len(r.Known), len(r.Rejected))
	for _, o := range r.Added {
		fmt.Fprintf(&b, "\n  + %-9s %s%s", o.Type, ioc.Defang(o.Type, o.Value), internalMark(o.Internal))
	}
	for _, rj := range r.Rejected {
		fmt.Fprintf(&b, "\n  - %q: %s", rj.Raw, rj.Reason)
	}
	return b.String()
}

func internalMark(internal bool) string {
	if internal {
		return " (internal)"
	}
	return ""
}

// RenderList is a plain-text table of incidents.
func RenderList(incs []*Incident) string {
	if len(incs) == 0 {
		return "No incidents."
	}
	var b strings.Builder
	for _, inc := range incs {
		fmt.Fprintf(&b, "%-8s %-12s %-8s %s\n", inc.Ref(), inc.Status, inc.SeverityName, inc.Title)
	}
	return strings.TrimRight(b.String(), "\n")
}

// RenderRecord is a plain-text view of an incident with its indicators
// (defanged) and timeline.
func RenderRecord(r *Record) string {
	inc := r.Incident
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s\n", inc.Ref(), inc.Title)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "  %-15s %s\n", k, v)
		}
	}
	row("Status", string(inc.Status))
	row("Category", inc.Category+" "+inc.CategoryName)
	row("Type", inc.SubContext)
	row("Severity", inc.SeverityName)
	row("Tier", inc.Tier)
	row("Zone", inc.Zone)
	row("Business unit", inc.BusinessUnit)
	row("TLP / PAP", inc.TLP+" / "+inc.PAP)
	row("Reporter", inc.Reporter.String())
	row("Lead", inc.Lead)
	for _, r := range IncidentRoles {
		row(RoleLabel(r), inc.Roles[r])
	}
	if m := inc.GrantedMembers(); len(m) > 0 {
		row("Members", strings.Join(m, ", "))
	}
	if inc.Private {
		row("Private", "yes: only its people see it")
	}
	row("Declared", inc.DeclaredAt.Format(time.RFC3339))
	row("Overview", inc.Overview)
	if inc.Resolution != "" {
		row("Resolution", inc.Resolution+" ("+inc.Impact+")")
	}
	row("Summary", inc.Summary)
	for _, k := range sortedKeys(inc.External) {
		row(k, inc.External[k])
	}
	if len(r.Observables) > 0 {
		fmt.Fprintf(&b, "Indicators (%d):\n", len(r.Observables))
		for _, o := range r.Observables {
			fmt.Fprintf(&b, "  %-16s %s%s\n", o.Type, ioc.Defang(o.Type, o.Value), internalMark(o.Internal))
		}
	}
	if len(r.FollowUps) > 0 {
		fmt.Fprintf(&b, "Follow-up actions (%d):\n", len(r.FollowUps))
		for _, ac := range r.FollowUps {
			fmt.Fprintf(&b, "  %-7s %-9s %s%s\n", ac.Ref(), ac.Status, ac.Text, ac.describeOwnerDue())
		}
	}
	if len(r.Timeline) > 0 {
		b.WriteString("Timeline:\n")
		for _, e := range InOrder(r.Timeline) {
			fmt.Fprintf(&b, "  %s  %s\n", e.OccurredAt().Format("2006-01-02 15:04:05"), e.Text)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
