package hive

import (
	"context"
	"sync"
)

// incidentLocks serialises the syncs of each incident inside one process:
// River has no per-key concurrency, and two syncs of one incident running
// at once could both miss its case and both create one. Its zero value is
// ready to use.
type incidentLocks struct {
	mu    sync.Mutex
	locks map[string]*incidentLock
}

// incidentLock holds a token in ch while its incident is being synced;
// refs counts the holders and waiters, so that an idle entry is dropped.
type incidentLock struct {
	ch   chan struct{}
	refs int
}

// lock waits until no other sync of the incident runs, or ctx ends, and
// returns the function that releases the incident.
func (l *incidentLocks) lock(ctx context.Context, id string) (func(), error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*incidentLock{}
	}
	k := l.locks[id]
	if k == nil {
		k = &incidentLock{ch: make(chan struct{}, 1)}
		l.locks[id] = k
	}
	k.refs++
	l.mu.Unlock()
	select {
	case k.ch <- struct{}{}:
		return func() {
			<-k.ch
			l.release(id, k)
		}, nil
	case <-ctx.Done():
		l.release(id, k)
		return nil, ctx.Err()
	}
}

func (l *incidentLocks) release(id string, k *incidentLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k.refs--
	if k.refs == 0 {
		delete(l.locks, id)
	}
}
