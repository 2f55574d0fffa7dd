package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ttp0/drone/drone"
)

func TestAccountsAndSessions(t *testing.T) {
	t.Parallel()
	db := open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	a := drone.Account{Name: "alice", DisplayName: "Alice Martin", PasswordHash: "$argon2id$x", Roles: []string{"responders", "admin"},
		Clearance: "RED", CreatedAt: now, UpdatedAt: now}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAccount(ctx, a); drone.ErrorCode(err) != drone.ECONFLICT {
		t.Fatalf("second create: %v, want a conflict", err)
	}
	got, err := db.Account(ctx, "alice")
	if err != nil || got.DisplayName != "Alice Martin" || len(got.Roles) != 2 || got.Clearance != "RED" || !got.CreatedAt.Equal(now) {
		t.Fatalf("account = %+v, %v", got, err)
	}
	if _, err := db.Account(ctx, "bob"); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Fatalf("missing account: %v", err)
	}
	got.Clearance, got.Disabled = "AMBER", true
	if err := db.SaveAccount(ctx, *got); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveAccount(ctx, drone.Account{Name: "bob"}); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Fatalf("saving a missing account: %v", err)
	}
	list, err := db.ListAccounts(ctx)
	if err != nil || len(list) != 1 || list[0].Clearance != "AMBER" || !list[0].Disabled {
		t.Fatalf("list = %+v, %v", list, err)
	}

	for _, id := range []string{"s1", "s2"} {
		if err := db.CreateSession(ctx, drone.Session{IDHash: id, Account: "alice", CSRF: "c-" + id, CreatedAt: now, SeenAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.TouchSession(ctx, "s1", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s, err := db.Session(ctx, "s1")
	if err != nil || s.CSRF != "c-s1" || !s.SeenAt.Equal(now.Add(time.Hour)) || !s.CreatedAt.Equal(now) {
		t.Fatalf("session = %+v, %v", s, err)
	}
	if n, err := db.DeleteSessions(ctx, drone.SessionFilter{}); err != nil || n != 0 {
		t.Fatalf("an empty filter deleted %d (%v)", n, err)
	}
	if n, err := db.DeleteSessions(ctx, drone.SessionFilter{SeenBefore: now.Add(time.Minute)}); err != nil || n != 1 {
		t.Fatalf("deleting idle sessions: %d, %v", n, err)
	}
	if _, err := db.Session(ctx, "s2"); drone.ErrorCode(err) != drone.ENOTFOUND {
		t.Fatalf("idle session still there: %v", err)
	}
	if n, err := db.DeleteSessions(ctx, drone.SessionFilter{Account: "alice"}); err != nil || n != 1 {
		t.Fatalf("deleting alice's sessions: %d, %v", n, err)
	}
}

func TestChangesAndSightingsOf(t *testing.T) {
	t.Parallel()
	db := open(t)
	ctx := context.Background()
	svc := &drone.Service{Store: db, Framework: drone.DefaultFramework(), Roles: drone.DefaultRoles()}
	op := drone.Actor{Platform: "local", ID: "op"}
	mark, ids, err := db.Changes(ctx, -1)
	if err != nil || mark != 0 || ids != nil {
		t.Fatalf("empty store: mark %d, ids %v, %v", mark, ids, err)
	}
	one, _, err := svc.Declare(ctx, op, drone.Origin{}, drone.DeclareInput{Category: "CAT1", Severity: "high", Overview: "x",
		Observables: drone.ObservableInput{Text: "203.0.113.7 evil-cdn.net"}})
	if err != nil {
		t.Fatal(err)
	}
	two, _, err := svc.Declare(ctx, op, drone.Origin{}, drone.DeclareInput{Category: "CAT3", Severity: "low", Overview: "y",
		Observables: drone.ObservableInput{Text: "203.0.113.7 other.example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	next, ids, err := db.Changes(ctx, mark)
	if err != nil || len(ids) != 2 || ids[0] != one.ID || ids[1] != two.ID || next <= mark {
		t.Fatalf("changes after %d: %d %v %v", mark, next, ids, err)
	}
	if _, err := svc.Acknowledge(ctx, op, drone.Origin{}, one.Number); err != nil {
		t.Fatal(err)
	}
	last, ids, err := db.Changes(ctx, next)
	if err != nil || len(ids) != 1 || ids[0] != one.ID || last <= next {
		t.Fatalf("changes after %d: %d %v %v", next, last, ids, err)
	}
	if m, _, _ := db.Changes(ctx, -1); m != last {
		t.Fatalf("current mark %d, want %d", m, last)
	}

	seen, err := svc.SeenElsewhere(ctx, two.ID, 0)
	if err != nil || len(seen) != 1 || seen[0].Number != one.Number || seen[0].Value != "203.0.113.7" {
		t.Fatalf("seen elsewhere = %+v, %v", seen, err)
	}
}
