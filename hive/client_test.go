package hive_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ttp0/drone/hive"
)

func sampleCase(tags ...string) hive.CaseInput {
	return hive.CaseInput{
		Title:        "[ CAT1 HIGH ZONE-A T2 ] SALES : Intrusion - Phishing",
		Description:  "Phishing reported by a user.",
		Severity:     3,
		TLP:          hive.TLPRed,
		PAP:          hive.TLPAmber,
		Tags:         append([]string{"drone", "CAT1", "drone"}, tags...),
		Flag:         true,
		StartDate:    time.UnixMilli(1700000000000),
		CaseTemplate: "intrusion",
		Assignee:     "alice@example.org",
		CustomFields: map[string]any{"drone-zone": "ZONE-A", "drone-tier": "T2"},
		Tasks:        []hive.TaskInput{{Title: "Contain", Group: "drone"}},
	}
}

// setupCase is setup with the sample case made through the client.
func setupCase(t *testing.T, api string) (bundle, *hive.Case) {
	t.Helper()
	b := setup(t, api)
	cs, err := b.cli.CreateCase(context.Background(), sampleCase())
	if err != nil {
		t.Fatalf("CreateCase: %v", err)
	}
	return b, cs
}

func TestCreateAndGetCase(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		b := setup(t, api)
		ctx := context.Background()
		got, err := b.cli.CreateCase(ctx, sampleCase())
		if err != nil {
			t.Fatalf("CreateCase: %v", err)
		}
		if got.ID == "" || got.ID[0] != '~' || got.Number != 1 {
			t.Errorf("id %q number %d, want ~... and 1", got.ID, got.Number)
		}
		if got.TLP != hive.TLPRed || got.PAP != hive.TLPAmber || got.Severity != 3 || !got.Flag {
			t.Errorf("levels = %s/%s/%d flag %v", got.TLP, got.PAP, got.Severity, got.Flag)
		}
		if !slices.Equal(got.Tags, []string{"drone", "CAT1"}) {
			t.Errorf("tags = %v, want [drone CAT1]", got.Tags)
		}
		if got.CustomFields["drone-zone"] != "ZONE-A" || got.Assignee != "alice@example.org" || got.Closed {
			t.Errorf("custom fields %v assignee %q closed %v", got.CustomFields, got.Assignee, got.Closed)
		}
		if !got.StartDate.Equal(time.UnixMilli(1700000000000)) {
			t.Errorf("start date = %v", got.StartDate)
		}
		stored, _ := b.srv.Case(got.ID)
		wantTLP := map[string]int{hive.APIv1: 4, hive.APIv0: 3}[api]
		if stored.TLP != wantTLP || stored.CaseTemplate != "intrusion" {
			t.Errorf("stored TLP %d template %q, want %d intrusion", stored.TLP, stored.CaseTemplate, wantTLP)
		}
		if tasks := b.srv.Tasks(got.ID); len(tasks) != 1 || tasks[0].Title != "Contain" {
			t.Errorf("tasks = %+v", tasks)
		}
		for _, ref := range []string{got.ID, strconv.Itoa(got.Number)} {
			again, err := b.cli.GetCase(ctx, ref)
			if err != nil || again.ID != got.ID || again.Title != got.Title {
				t.Errorf("GetCase(%s) = %+v, %v", ref, again, err)
			}
		}
		if _, err := b.cli.GetCase(ctx, "~999999"); !hive.IsNotFound(err) {
			t.Errorf("GetCase(unknown) = %v, want not found", err)
		}
	})
}

func TestUpdateCaseClosesAndReopens(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		b, cs := setupCase(t, api)
		ctx := context.Background()
		err := b.cli.UpdateCase(ctx, cs.ID, hive.CaseUpdate{
			Status: hive.StatusTruePositive, ImpactStatus: hive.ImpactNone, Summary: "contained",
			Severity: 4, TLP: hive.TLPAmberStrict, Tags: []string{"closed"},
		})
		if err != nil {
			t.Fatalf("UpdateCase: %v", err)
		}
		got, err := b.cli.GetCase(ctx, cs.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Closed || got.Resolution != hive.StatusTruePositive || got.ImpactStatus != hive.ImpactNone || got.Summary != "contained" {
			t.Errorf("closed %v resolution %q impact %q summary %q", got.Closed, got.Resolution, got.ImpactStatus, got.Summary)
		}
		wantTLP := map[string]string{hive.APIv1: hive.TLPAmberStrict, hive.APIv0: hive.TLPAmber}[api]
		if got.Severity != 4 || got.TLP != wantTLP || !slices.Equal(got.Tags, []string{"closed"}) {
			t.Errorf("severity %d tlp %s tags %v", got.Severity, got.TLP, got.Tags)
		}
		if err := b.cli.UpdateCase(ctx, cs.ID, hive.CaseUpdate{Status: hive.StatusInProgress, Assignee: "alice@example.org"}); err != nil {
			t.Fatal(err)
		}
		if stored, _ := b.srv.Case(cs.ID); stored.Stage != "InProgress" || stored.Assignee != "alice@example.org" {
			t.Errorf("after reopening: stage %q assignee %q", stored.Stage, stored.Assignee)
		}
	})
}

func TestFindCasesByTagPages(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		b := setup(t, api)
		ctx := context.Background()
		var want []string
		for i := range 103 {
			tag := "incident-42"
			if i%2 == 1 && i > 100 {
				tag = "incident-other"
			}
			in := sampleCase(tag)
			in.Title = fmt.Sprintf("case %d", i)
			cs, err := b.cli.CreateCase(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if tag == "incident-42" {
				want = append(want, cs.ID)
			}
		}
		got, err := b.cli.FindCasesByTag(ctx, "incident-42")
		if err != nil {
			t.Fatalf("FindCasesByTag: %v", err)
		}
		var ids []string
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("found %d cases, want %d in creation order", len(ids), len(want))
		}
		if none, err := b.cli.FindCasesByTag(ctx, "nothing"); err != nil || len(none) != 0 {
			t.Errorf("FindCasesByTag(nothing) = %v, %v", none, err)
		}
	})
}

func TestCreateObservablesReportsDuplicates(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		b, cs := setupCase(t, api)
		ctx := context.Background()
		in := hive.ObservableInput{DataType: "ip", Data: []string{"192.0.2.1", "192.0.2.2", "192.0.2.1"},
			Message: "source", TLP: hive.TLPGreen, IOC: true, Tags: []string{"src"}}
		res, err := b.cli.CreateObservables(ctx, cs.ID, in)
		if err != nil {
			t.Fatalf("CreateObservables: %v", err)
		}
		if len(res.Created) != 2 || len(res.Failures) != 0 || res.Created[0].TLP != hive.TLPGreen || !res.Created[0].IOC {
			t.Fatalf("first call: %+v", res)
		}
		in.Data = []string{"192.0.2.2", "192.0.2.3"}
		res, err = b.cli.CreateObservables(ctx, cs.ID, in)
		if err != nil {
			t.Fatalf("second call: %v", err)
		}
		if len(res.Created) != 1 || res.Created[0].Data != "192.0.2.3" {
			t.Errorf("created = %+v, want 192.0.2.3", res.Created)
		}
		if d := res.Duplicates(); !slices.Equal(d, []string{"192.0.2.2"}) || len(res.Errors()) != 0 {
			t.Errorf("duplicates %v errors %v", d, res.Errors())
		}
		if n := len(b.srv.Observables(cs.ID)); n != 3 {
			t.Errorf("stand-in holds %d observables, want 3", n)
		}
	})
}

func TestTasksAndLogs(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		b, cs := setupCase(t, api)
		ctx := context.Background()
		due := time.UnixMilli(1800000000000)
		task, err := b.cli.CreateTask(ctx, cs.ID, hive.TaskInput{Title: "Notify", Group: "drone",
			Description: "Send the notification", Assignee: "alice@example.org", DueDate: due, Order: 2})
		if err != nil {
			t.Fatalf("CreateTask: %v", err)
		}
		if task.ID == "" || task.Status != "Waiting" || task.Assignee != "alice@example.org" || !task.DueDate.Equal(due) {
			t.Errorf("task = %+v", task)
		}
		entry, err := b.cli.AddTaskLog(ctx, task.ID, "notified the SOC")
		if err != nil {
			t.Fatalf("AddTaskLog: %v", err)
		}
		if entry.ID == "" || entry.Message != "notified the SOC" {
			t.Errorf("log = %+v", entry)
		}
		if logs := b.srv.TaskLogs(task.ID); len(logs) != 1 || logs[0].Message != "notified the SOC" {
			t.Errorf("stand-in logs = %+v", logs)
		}
		if _, err := b.cli.AddTaskLog(ctx, "~1", "x"); !hive.IsNotFound(err) {
			t.Errorf("log on unknown task: %v, want not found", err)
		}
	})
}

func TestAlerts(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		b := setup(t, api)
		ctx := context.Background()
		in := hive.AlertInput{Type: "drone", Source: "slack", SourceRef: "INC-7", Title: "Phishing",
			Description: "reported", Severity: 2, TLP: hive.TLPAmber, Tags: []string{"drone"},
			Observables: []hive.AlertObservable{{DataType: "domain", Data: "evil.example", IOC: true}}}
		alert, err := b.cli.CreateAlert(ctx, in)
		if err != nil {
			t.Fatalf("CreateAlert: %v", err)
		}
		if alert.ID == "" || alert.SourceRef != "INC-7" || alert.Status != "New" {
			t.Errorf("alert = %+v", alert)
		}
		_, err = b.cli.CreateAlert(ctx, in)
		if !hive.IsBadRequest(err) || hive.Retryable(err) {
			t.Fatalf("duplicate alert: %v, want a 400 that is not retryable", err)
		}
		if ae := asAPI(t, err); ae.Type != "CreateError" {
			t.Errorf("duplicate alert type %q, want CreateError", ae.Type)
		}
		cs, err := b.cli.PromoteAlert(ctx, alert.ID)
		if err != nil {
			t.Fatalf("PromoteAlert: %v", err)
		}
		if cs.Title != "Phishing" || cs.ID == "" {
			t.Errorf("case = %+v", cs)
		}
		if obs := b.srv.Observables(cs.ID); len(obs) != 1 || obs[0].Data != "evil.example" {
			t.Errorf("promoted observables = %+v", obs)
		}
		if a := b.srv.Alerts(); len(a) != 1 || a[0].CaseID != cs.ID {
			t.Errorf("alerts = %+v", a)
		}
	})
}

func TestCheck(t *testing.T) {
	forEachAPI(t, func(t *testing.T, api string) {
		b := setup(t, api)
		info, err := b.cli.Check(context.Background())
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if info.User.Login != "drone@thehive.local" || info.User.Organisation != "drone" || info.Version != "5.4.0" || info.API != api {
			t.Errorf("info = %+v", info)
		}
	})
}

func TestCheckFallsBackToLegacyStatus(t *testing.T) {
	b := setup(t, hive.APIv1)
	b.srv.DisableRoute("GET /api/v1/status")
	info, err := b.cli.Check(context.Background())
	if err != nil || info.Version != "5.4.0" {
		t.Fatalf("Check = %+v, %v", info, err)
	}
	if n := b.srv.Count("GET /api/status"); n != 1 {
		t.Errorf("GET /api/status asked %d times, want 1", n)
	}
}

func TestCheckSaysWhichSettingIsWrong(t *testing.T) {
	b := setup(t, hive.APIv1)
	b.srv.DisableRoute("GET /api/v1/user/current")
	_, err := b.cli.Check(context.Background())
	if !hive.IsNotFound(err) || !contains(err, "hive.api: v0") {
		t.Errorf("Check on a server without v1 = %v", err)
	}
}

func TestCheckSkipsAStatusPageThatIsNotJSON(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/user/current", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"_id":"~1","login":"bot","name":"Bot","organisation":"soc","profile":"analyst"}`)
	})
	mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>TheHive</title>")
	})
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"versions":{"TheHive":"5.1.9"}}`)
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	cli, err := hive.New(hive.Config{URL: ts.URL, APIKey: "k", Rate: ptr(0.0)})
	if err != nil {
		t.Fatal(err)
	}
	info, err := cli.Check(context.Background())
	if err != nil || info.Version != "5.1.9" || info.User.Login != "bot" || info.User.Profile != "analyst" {
		t.Errorf("Check = %+v, %v", info, err)
	}
}
