package drone

import (
	"context"
	"sync"
)

// Locker takes named locks that hold across every drone process working
// one database, for the duration of a piece of work that must not run
// twice at once: the first creation of an incident's TheHive case, of its
// chat channel or thread. PostgreSQL's store takes an advisory lock on a
// connection of its own; SQLite's, worked by one process (its worker lock
// file), a lock in that process.
type Locker interface {
	// Lock waits until no other holder of key remains, or ctx ends, and
	// returns the function that releases key; unlock may be called more
	// than once.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// LockKey is the key of a lock on one incident for one purpose
// ("hive.case", "slack.channel").
func LockKey(purpose, incidentID string) string { return purpose + ":" + incidentID }

// Lock takes the lock of one incident for one purpose through the store
// when it is a Locker, else within this process, and returns the function
// that releases it.
func (s *Service) Lock(ctx context.Context, purpose, incidentID string) (func(), error) {
	if l, ok := s.Store.(Locker); ok {
		return l.Lock(ctx, LockKey(purpose, incidentID))
	}
	return processLocks.Lock(ctx, LockKey(purpose, incidentID))
}

// processLocks are the locks of stores that are no Locker (tests' fakes).
var processLocks LocalLocks

// LocalLocks is a Locker within one process: enough where one process works
// a database's jobs. Its zero value is ready to use.
type LocalLocks struct {
	mu    sync.Mutex
	locks map[string]*localLock
}

var _ Locker = (*LocalLocks)(nil)

// localLock holds a token in ch while its key is held; refs counts the
// holders and waiters, so that an idle entry is dropped.
type localLock struct {
	ch   chan struct{}
	refs int
}

// Lock waits until no other holder of key remains, or ctx ends, and returns
// the function that releases key.
func (l *LocalLocks) Lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*localLock{}
	}
	k := l.locks[key]
	if k == nil {
		k = &localLock{ch: make(chan struct{}, 1)}
		l.locks[key] = k
	}
	k.refs++
	l.mu.Unlock()
	select {
	case k.ch <- struct{}{}:
		var once sync.Once
		return func() {
			once.Do(func() {
				<-k.ch
				l.release(key, k)
			})
		}, nil
	case <-ctx.Done():
		l.release(key, k)
		return nil, ctx.Err()
	}
}

func (l *LocalLocks) release(key string, k *localLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k.refs--
	if k.refs == 0 {
		delete(l.locks, key)
	}
}
