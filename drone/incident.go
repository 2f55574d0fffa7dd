package drone

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Status is where an incident stands.
type Status string

// Incident statuses, in their forward order.
const (
	StatusOpen         Status = "open"
	StatusAcknowledged Status = "acknowledged"
	StatusContained    Status = "contained"
	StatusResolved     Status = "resolved"
	StatusClosed       Status = "closed"
)

// Statuses lists the statuses in their forward order.
var Statuses = []Status{StatusOpen, StatusAcknowledged, StatusContained, StatusResolved, StatusClosed}

func (s Status) rank() int {
	for i, v := range Statuses {
		if v == s {
			return i
		}
	}
	return -1
}

// ParseStatus reads a status name, ignoring case ("ack" is accepted).
func ParseStatus(s string) (Status, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	if k == "ack" {
		k = string(StatusAcknowledged)
	}
	for _, v := range Statuses {
		if string(v) == k {
			return v, nil
		}
	}
	return "", Errorf(EINVALID, "unknown status %q; allowed: open, acknowledged, contained, resolved, closed", s)
}

// Resolutions are the ways an incident can be closed, as TheHive names them.
var Resolutions = []string{"TruePositive", "FalsePositive", "Indeterminate", "Other", "Duplicated"}

// Impacts say whether the incident had an impact, as TheHive names them.
var Impacts = []string{"WithImpact", "NoImpact", "NotApplicable"}

// Incident is a security incident described with the DRONE framework.
type Incident struct {
	ID           string `json:"id"`     // UUID, stable across systems
	Number       int64  `json:"number"` // sequential per store: INC-<Number>
	Title        string `json:"title"`
	Category     string `json:"category"` // category code, e.g. CAT1
	CategoryName string `json:"category_name"`
	SubContext   string `json:"subcontext,omitempty"`
	Severity     int    `json:"severity"` // 1 LOW .. 4 CRITICAL
	SeverityName string `json:"severity_name"`
	Tier         string `json:"tier,omitempty"`
	Zone         string `json:"zone,omitempty"`
	BusinessUnit string `json:"business_unit,omitempty"`
	TLP          string `json:"tlp"`
	PAP          string `json:"pap"`
	Overview     string `json:"overview"`
	Reporter     Actor  `json:"reporter"`
	Lead         string `json:"lead,omitempty"` // identity "platform:id" of the incident lead
	// Roles are the other roles people hold on the incident (scribe,
	// communications, legal), by role name: identities "platform:id".
	Roles map[string]string `json:"roles,omitempty"`
	// Private incidents (and every TLP:RED one) are seen only by their
	// members and by audiences cleared for RED.
	Private bool   `json:"private,omitempty"`
	Status  Status `json:"status"`

	Resolution string `json:"resolution,omitempty"` // one of Resolutions, when resolved or closed
	Impact     string `json:"impact,omitempty"`     // one of Impacts
	Summary    string `json:"summary,omitempty"`    // the latest status summary or closing summary

	Tags []string `json:"tags"`
	// External holds references kept by integrations ("hive.case_id",
	// "slack.channel"), so that the core needs no field per platform.
	External map[string]string `json:"external,omitempty"`

	DeclaredAt     time.Time  `json:"declared_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	ContainedAt    *time.Time `json:"contained_at,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
	NextUpdateDue  *time.Time `json:"next_update_due,omitempty"`
}

// Ref returns the human reference, INC-<number>.
func (inc *Incident) Ref() string { return "INC-" + strconv.FormatInt(inc.Number, 10) }

// MarshalJSON writes the incident's fields with its human reference
// ("ref": "INC-12") next to its number, so that scripts need not build it.
// Decoding ignores "ref": the number is the truth.
func (inc Incident) MarshalJSON() ([]byte, error) {
	type fields Incident // the same fields, without this method
	return json.Marshal(struct {
		ID     string `json:"id"`
		Number int64  `json:"number"`
		Ref    string `json:"ref"`
		fields
	}{inc.ID, inc.Number, inc.Ref(), fields(inc)})
}

// ParseRef reads an incident reference: "INC-42", "inc-42", "#42" or "42".
func ParseRef(s string) (int64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(t, "#")
	if len(t) > 4 && strings.EqualFold(t[:4], "INC-") {
		t = t[4:]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 1 {
		return 0, Errorf(EINVALID, "%q is not an incident reference (expected INC-<number>)", s)
	}
	return n, nil
}

// IsRef reports whether s reads as an incident reference of the INC-n form.
func IsRef(s string) bool {
	if len(s) < 5 || !strings.EqualFold(s[:4], "INC-") {
		return false
	}
	_, err := ParseRef(s)
	return err == nil
}

// Open reports whether the incident is still being worked (not resolved or closed).
func (inc *Incident) Open() bool { return inc.Status.rank() < StatusResolved.rank() }

// DroneTitle builds the title in the original's format:
// "[ CAT1 HIGH ZONE-A T2 ] SALES : Intrusion - Phishing".
func (inc *Incident) DroneTitle() string {
	head := strings.Join(nonEmpty(inc.Category, inc.SeverityName, inc.Zone, inc.Tier), " ")
	what := inc.CategoryName
	if inc.SubContext != "" {
		what += " - " + inc.SubContext
	}
	t := "[ " + head + " ] "
	if inc.BusinessUnit != "" {
		t += inc.BusinessUnit + " : "
	}
	return t + what
}

// DroneTags builds the tags the original put on a case: the tool's name, the
// category code, severity, zone, tier, business unit, category name,
// sub-context, BU-ZONE-TIER-SEVERITY and the reporter.
func (inc *Incident) DroneTags() []string {
	combo := strings.Join(nonEmpty(inc.BusinessUnit, inc.Zone, inc.Tier, inc.SeverityName), "-")
	tags := nonEmpty("drone", inc.Category, inc.SeverityName, inc.Zone, inc.Tier, inc.BusinessUnit,
		inc.CategoryName, inc.SubContext, combo, inc.Reporter.String())
	seen := map[string]bool{}
	out := tags[:0]
	for _, t := range tags {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func nonEmpty(ss ...string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Durations are the DRONE measures of one incident: the times from
// declaration to acknowledgement, containment and resolution, where reached.
type Durations struct {
	Acknowledge *time.Duration `json:"acknowledge,omitempty"`
	Contain     *time.Duration `json:"contain,omitempty"`
	Resolve     *time.Duration `json:"resolve,omitempty"`
}

// Durations returns the incident's measures so far.
func (inc *Incident) Durations() Durations {
	since := func(t *time.Time) *time.Duration {
		if t == nil {
			return nil
		}
		d := t.Sub(inc.DeclaredAt)
		return &d
	}
	return Durations{Acknowledge: since(inc.AcknowledgedAt), Contain: since(inc.ContainedAt), Resolve: since(inc.ResolvedAt)}
}

// String returns "INC-n title".
func (inc *Incident) String() string { return fmt.Sprintf("%s %s", inc.Ref(), inc.Title) }
