package web

import (
	"context"
	"slices"
	"sync"

	"github.com/ttp0/drone/drone"
)

// index is the console's copy of every incident, newest first, kept
// current from the change feed: the board, search and the leaders'
// overview filter it in memory, which takes microseconds where reading
// ten thousand incidents from the store for each page would take a tenth
// of a second. Incident pages always read the store.
type index struct {
	svc     *drone.Service
	changes ChangeFeed

	syncMu sync.Mutex // one sync at a time
	mark   int64
	loaded bool

	mu    sync.RWMutex
	byID  map[string]*drone.Incident
	order []*drone.Incident // by number, highest first
}

func newIndex(svc *drone.Service, changes ChangeFeed) *index {
	return &index{svc: svc, changes: changes, byID: map[string]*drone.Incident{}}
}

// maxIncidents bounds what the index loads, as the reports do.
const maxIncidents = 1_000_000

// sync loads every incident the first time, and afterwards the incidents
// the change feed names; it returns the incidents that changed.
func (x *index) sync(ctx context.Context) ([]*drone.Incident, error) {
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	if !x.loaded || x.changes == nil {
		return x.load(ctx)
	}
	mark, ids, err := x.changes.Changes(ctx, x.mark)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	changed := make([]*drone.Incident, 0, len(ids))
	for _, id := range ids {
		inc, err := x.svc.IncidentByID(ctx, id)
		if err != nil {
			return changed, err
		}
		changed = append(changed, inc)
	}
	x.put(changed...)
	x.mark = mark
	return changed, nil
}

// load reads every incident. The mark is taken first, so that a change
// made during the load is read again at the next sync.
func (x *index) load(ctx context.Context) ([]*drone.Incident, error) {
	mark := int64(0)
	if x.changes != nil {
		var err error
		if mark, _, err = x.changes.Changes(ctx, -1); err != nil {
			return nil, err
		}
	}
	all, err := x.svc.Incidents(ctx, drone.IncidentFilter{Limit: maxIncidents})
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	old := x.byID
	x.byID = make(map[string]*drone.Incident, len(all))
	for _, inc := range all {
		x.byID[inc.ID] = inc
	}
	x.order = all
	x.sortLocked()
	x.mu.Unlock()
	x.mark, x.loaded = mark, true
	var changed []*drone.Incident
	if len(old) > 0 {
		for _, inc := range all {
			if o := old[inc.ID]; o == nil || !o.UpdatedAt.Equal(inc.UpdatedAt) {
				changed = append(changed, inc)
			}
		}
	}
	return changed, nil
}

// put replaces or adds incidents, as the console's own changes do at once.
func (x *index) put(incs ...*drone.Incident) {
	x.mu.Lock()
	defer x.mu.Unlock()
	added := false
	for _, inc := range incs {
		if old, ok := x.byID[inc.ID]; ok {
			i := slices.Index(x.order, old)
			if i >= 0 {
				x.order[i] = inc
			}
		} else {
			x.order = append(x.order, inc)
			added = true
		}
		x.byID[inc.ID] = inc
	}
	if added {
		x.sortLocked()
	}
}

func (x *index) sortLocked() {
	slices.SortFunc(x.order, func(a, b *drone.Incident) int {
		switch {
		case a.Number > b.Number:
			return -1
		case a.Number < b.Number:
			return 1
		}
		return 0
	})
}

// ensure loads the index when no sync has yet.
func (x *index) ensure(ctx context.Context) error {
	x.syncMu.Lock()
	loaded := x.loaded
	x.syncMu.Unlock()
	if loaded {
		return nil
	}
	_, err := x.sync(ctx)
	return err
}

// each calls fn for every incident, newest first, until fn returns false.
// Incidents are shared: fn must not change them.
func (x *index) each(fn func(*drone.Incident) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, inc := range x.order {
		if !fn(inc) {
			return
		}
	}
}

// byNumber returns the incident with the given number, or nil.
func (x *index) byNumber(n int64) *drone.Incident {
	x.mu.RLock()
	defer x.mu.RUnlock()
	i, found := slices.BinarySearchFunc(x.order, n, func(inc *drone.Incident, n int64) int {
		switch {
		case inc.Number > n:
			return -1
		case inc.Number < n:
			return 1
		}
		return 0
	})
	if !found {
		return nil
	}
	return x.order[i]
}
