package hive

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
	"github.com/ttp0/drone/queue"
)

func sampleState() *incidentState {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	reporter := drone.Actor{Platform: "slack", ID: "U1", Name: "ann_smith"}
	inc := &drone.Incident{ID: "0190", Number: 7, Title: "t", Category: "CAT1", CategoryName: "Intrusion",
		SubContext: "Phishing", SeverityName: "HIGH", Zone: "ZONE-A", BusinessUnit: "R|D", TLP: "AMBER", PAP: "GREEN",
		Overview: "Users got a *fake* login page.", Reporter: reporter, Status: drone.StatusClosed, Resolution: "TruePositive",
		Impact: "WithImpact", Summary: "Creds reset.", DeclaredAt: at,
		External: map[string]string{"slack.permalink": "https://example.slack.com/archives/C1/p1", "slack.channel": "C1",
			ExtCaseURL: "https://thehive.example/cases/~1/details"}}
	tl := []drone.Entry{
		{Seq: 1, Kind: drone.EntryDeclared, At: at, Origin: drone.Origin{Channel: "slack", Ref: "https://example.slack.com/archives/C1/p0"}},
		{Seq: 2, Kind: drone.EntryAcknowledged, At: at.Add(time.Minute), Text: "bob acknowledged INC-7"},
		{Seq: 3, Kind: drone.EntryExternal, At: at.Add(2 * time.Minute), Text: "TheHive case #1 created"},
		{Seq: 4, Kind: drone.EntryUpdate, At: at.Add(3 * time.Minute), Text: "bob posted an update on INC-7: line one\nline [two](x)"},
	}
	return &incidentState{inc: inc, timeline: tl}
}

func TestDescribe(t *testing.T) {
	d := describe(sampleState())
	for _, want := range []string{
		"### Overview\n\nUsers got a *fake* login page.\n",
		"| Category | CAT1 Intrusion |\n",
		`| Affected business unit | R\|D |`,
		"| TLP / PAP | AMBER / GREEN |\n",
		"| Declared | 2026-03-01 09:30 UTC |\n",
		"| Resolution | TruePositive (WithImpact) |\n",
		"Reported by **ann\\_smith** (`slack:U1`) from slack.",
		"Chat: [declared from slack](https://example.slack.com/archives/C1/p0)",
		"Chat: [slack.permalink](https://example.slack.com/archives/C1/p1)",
		"- 2026-03-01 09:31 UTC: bob acknowledged INC-7\n",
		`- 2026-03-01 09:33 UTC: bob posted an update on INC-7: line one line \[two\](x)`,
		"### Closing summary\n\nCreds reset.\n",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("description lacks %q:\n%s", want, d)
		}
	}
	for _, unwanted := range []string{"TheHive case #1 created", "thehive.example", "slack.channel"} {
		if strings.Contains(d, unwanted) {
			t.Errorf("description holds %q:\n%s", unwanted, d)
		}
	}
}

func TestDescribeKeepsLatestUpdates(t *testing.T) {
	st := sampleState()
	st.timeline = st.timeline[:1]
	for i := range maxUpdates + 5 {
		st.timeline = append(st.timeline, drone.Entry{Seq: int64(i + 2), Kind: drone.EntryUpdate, Text: fmt.Sprintf("update %d.", i)})
	}
	d := describe(st)
	if !strings.Contains(d, "_5 earlier update(s)") || strings.Contains(d, "update 4.") || !strings.Contains(d, "update 5.") {
		t.Errorf("description does not keep the latest %d updates:\n%s", maxUpdates, d)
	}
}

func TestCaseStatusAndUpdate(t *testing.T) {
	m := caseMapper{cfg: Config{Users: map[string]string{"Slack:U2": "bob@example.org"}}}
	st := sampleState()
	st.inc.Lead = "slack:U2"
	up := m.update(st)
	if up.Status != StatusTruePositive || up.ImpactStatus != ImpactWith || up.Summary != "Creds reset." || up.Assignee != "bob@example.org" {
		t.Errorf("update of a closed incident = %+v", up)
	}
	for status, want := range map[drone.Status]string{drone.StatusOpen: StatusNew, drone.StatusAcknowledged: StatusInProgress,
		drone.StatusContained: StatusInProgress, drone.StatusResolved: StatusInProgress} {
		st.inc.Status = status
		if up := m.update(st); up.Status != want || up.Summary != "" {
			t.Errorf("%s: status %q summary %q, want %q and none", status, up.Status, up.Summary, want)
		}
	}
	st.inc.Lead = "slack:U3"
	if a := m.update(st).Assignee; a != "" {
		t.Errorf("unmapped lead got assignee %q", a)
	}
}

func TestObservableBatches(t *testing.T) {
	inc := &drone.Incident{Number: 3}
	ann := drone.Actor{Platform: "slack", ID: "U1", Name: "ann"}
	o := func(typ ioc.Type, v string, iocFlag bool, tags ...string) drone.Observable {
		return drone.Observable{Type: typ, Value: v, TLP: "AMBER", IOC: iocFlag, Tags: tags, AddedBy: ann,
			Origin: drone.Origin{Channel: "slack", Ref: "C1"}}
	}
	b := observableBatches(inc, []drone.Observable{
		o(ioc.IPv4, "203.0.113.7", true), o(ioc.Domain, "evil.example", true), o(ioc.IPv6, "2001:db8::1", true),
		o(ioc.Domain, "www.evil.example", true), o(ioc.IPv4, "198.51.100.1", false), o(ioc.IPv4, "198.51.100.2", true, "c2"),
	})
	got := make([]string, len(b))
	for i, in := range b {
		got[i] = fmt.Sprintf("%s%v %v %v", in.DataType, in.Data, in.IOC, in.Tags)
	}
	want := []string{"ip[203.0.113.7 2001:db8::1] true []", "domain[evil.example] true []", "fqdn[www.evil.example] true []",
		"ip[198.51.100.1] false []", "ip[198.51.100.2] true [c2]"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("batches = %q, want %q", got, want)
	}
	if b[0].Message != "Added to INC-3 by ann (slack:U1) from slack (C1)." || b[0].TLP != "AMBER" {
		t.Errorf("message %q TLP %q", b[0].Message, b[0].TLP)
	}
}

// verdict is what queue.Steer makes of a classified failure.
type verdict int

const (
	verdictRetry verdict = iota
	verdictSnooze
	verdictCancel
)

func steered(err error) (verdict, time.Duration) {
	out := queue.Steer(classify(err))
	var snooze *river.JobSnoozeError
	var cancel *river.JobCancelError
	switch {
	case errors.As(out, &snooze):
		return verdictSnooze, snooze.Duration
	case errors.As(out, &cancel):
		return verdictCancel, 0
	}
	return verdictRetry, 0
}

func TestClassify(t *testing.T) {
	api := func(status int, typ, msg string) error {
		return fmt.Errorf("creating case: %w", &APIError{Status: status, Type: typ, Message: msg, Method: "POST", Path: "/api/v1/case"})
	}
	tooMany := &APIError{Status: http.StatusTooManyRequests, RetryAfter: 3 * time.Second}
	dup := ObservableFailure{Type: "CreateError", Message: "Observable already exists"}
	for name, tc := range map[string]struct {
		err  error
		want verdict
		wait time.Duration
	}{
		"5xx":             {api(503, "InternalError", "down"), verdictRetry, 0},
		"timeout":         {&transportError{err: errors.New("timeout"), retryable: true}, verdictRetry, 0},
		"tls":             {&transportError{err: errors.New("x509"), retryable: false}, verdictCancel, 0},
		"401":             {api(401, "AuthenticationError", "Authentication failure"), verdictCancel, 0},
		"404":             {api(404, "NotFoundError", "CustomField x not found"), verdictCancel, 0},
		"429":             {tooMany, verdictSnooze, 3 * time.Second},
		"invalid":         {fmt.Errorf("%w: unknown TLP", ErrInvalidInput), verdictCancel, 0},
		"store":           {errors.New("database is locked"), verdictRetry, 0},
		"gone":            {drone.Permanent(errors.New("no incident")), verdictCancel, 0},
		"not found":       {fmt.Errorf("reading: %w", drone.Errorf(drone.ENOTFOUND, "no incident")), verdictCancel, 0},
		"refused value":   {&observableError{dataType: "ip", failures: []ObservableFailure{{Type: "AttributeCheckingError"}}}, verdictCancel, 0},
		"server trouble":  {&observableError{dataType: "ip", failures: []ObservableFailure{dup, {Type: "InternalError"}}}, verdictRetry, 0},
		"refused + 5xx":   {syncErrors{api(404, "NotFoundError", "ObservableType x not found"), api(500, "", "")}, verdictRetry, 0},
		"refused + 429":   {syncErrors{api(404, "NotFoundError", "x"), tooMany}, verdictSnooze, 3 * time.Second},
		"refused + 400":   {syncErrors{api(404, "NotFoundError", "x"), api(400, "BadRequest", "y")}, verdictCancel, 0},
		"429 no duration": {&APIError{Status: http.StatusTooManyRequests}, verdictSnooze, defaultRetryAfter},
	} {
		v, wait := steered(tc.err)
		if v != tc.want || wait != tc.wait {
			t.Errorf("%s: verdict %d wait %v, want %d %v", name, v, wait, tc.want, tc.wait)
		}
	}
	if v, wait := steered(ErrRateLimited); v != verdictSnooze || wait < throttleWait || wait >= 2*throttleWait {
		t.Errorf("client-side limit: verdict %d wait %v", v, wait)
	}
}

func TestExplain(t *testing.T) {
	for msg, want := range map[string]string{
		"CustomField drone-zonex not found": "hive.custom_fields",
		"CaseTemplate phish not found":      "hive.case_templates",
		"ObservableType hash not found":     "Observable types",
		"User bob@example.org not found":    "hive.users",
		"Case ~123 not found":               "hive.case_id",
	} {
		err := explain(&APIError{Status: 404, Type: "NotFoundError", Message: msg})
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q explained as %q, want %q and TheHive's message", msg, err, want)
		}
	}
	err := explain(syncErrors{&APIError{Status: 401, Type: "AuthenticationError"}, errors.New("store")})
	if !strings.HasPrefix(err.Error(), "TheHive refused the API key (hive.api_key): ") || !strings.HasSuffix(err.Error(), "; store") {
		t.Errorf("joined failures explained as %q", err)
	}
}
