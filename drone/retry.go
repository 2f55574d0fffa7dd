package drone

import (
	"errors"
	"fmt"
	"time"
)

// The words below tell whoever runs a piece of work again (the job queue)
// what a failure means: Permanent, retrying cannot mend it; RetryAfter, try
// again after a wait someone asked for; any other error, retry with
// backoff. Integrations say it in these words, so the queue is steered by
// one rule however many platforms there are.

// PermanentError marks a failure that retrying cannot mend.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as a failure that retrying cannot mend: the work is
// dead at once (a delivery's SOC is told, TheHive's sync is recorded on the
// timeline).
func Permanent(err error) error { return &PermanentError{Err: err} }

// RetryAfterError asks to try again after a delay, as a platform asked.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
}
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter asks for another attempt after d, as a 429's Retry-After says;
// such waits do not count as failed attempts.
func RetryAfter(d time.Duration, err error) error { return &RetryAfterError{After: d, Err: err} }

// IsPermanent reports whether retrying cannot mend err: it was marked
// Permanent, or its code is ENOTFOUND (what is not there will not be
// there on the next attempt either). An error joining several (a sync's
// independent steps) is permanent only when each of them is: one that may
// pass is worth the retry.
func IsPermanent(err error) bool {
	coded := false // the first *Error's code counts, as ErrorCode reads it
	for err != nil {
		switch e := err.(type) {
		case *PermanentError:
			return true
		case *Error:
			if !coded && e.Code == ENOTFOUND {
				return true
			}
			coded = true
		case interface{ Unwrap() []error }:
			errs := e.Unwrap()
			for _, one := range errs {
				if !IsPermanent(one) {
					return false
				}
			}
			return len(errs) > 0
		}
		err = errors.Unwrap(err)
	}
	return false
}

// RetryDelay returns the wait a RetryAfter anywhere in err asks for: the
// longest, when several joined errors ask. A wait wins over a permanent
// failure beside it: the platform asked drone to slow down, and the work
// that comes back re-sends the refused part, which fails again then.
func RetryDelay(err error) (time.Duration, bool) {
	var wait time.Duration
	found := false
	var visit func(error)
	visit = func(err error) {
		for err != nil {
			if ra, ok := err.(*RetryAfterError); ok {
				wait, found = max(wait, ra.After), true
			}
			if many, ok := err.(interface{ Unwrap() []error }); ok {
				for _, one := range many.Unwrap() {
					visit(one)
				}
				return
			}
			err = errors.Unwrap(err)
		}
	}
	visit(err)
	return wait, found
}
