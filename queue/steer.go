// Package queue steers River jobs by drone's words for a failure
// (drone.Permanent, drone.RetryAfter, ENOTFOUND). It holds the one mapping
// every worker returns through, so TheHive, Slack, Discord and notify jobs
// are cancelled, snoozed and retried by the same rule. It is a package of
// its own, not part of the core (which must not import River) nor of store
// (which is SQLite's: a worker should not need the database to say what
// its failure means).
package queue

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/ttp0/drone/drone"
)

// Steer turns a worker's error into what River does with the job. A wait
// asked for (drone.RetryAfter) snoozes it, which costs no attempt; a
// permanent failure (drone.Permanent, ENOTFOUND) cancels it; any other
// error is retried with backoff until the job's attempts run out. Of
// joined failures, a wait wins, then a retry: the job is cancelled only
// when every part is permanent (see drone.IsPermanent and drone.RetryDelay).
func Steer(err error) error {
	if err == nil {
		return nil
	}
	if wait, ok := drone.RetryDelay(err); ok {
		return river.JobSnooze(max(wait, 0))
	}
	if drone.IsPermanent(err) {
		return river.JobCancel(err)
	}
	return err
}

// WorkFunc is river.WorkFunc for work that fails in drone's words: the
// worker's error goes through Steer, so no worker can forget to.
func WorkFunc[T river.JobArgs](f func(context.Context, *river.Job[T]) error) river.Worker[T] {
	return river.WorkFunc(func(ctx context.Context, job *river.Job[T]) error { return Steer(f(ctx, job)) })
}
