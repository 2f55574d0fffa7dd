package ioc

import "hash/maphash"

// seenKey identifies what Extract reports once: an indicator by type and
// value, a rejection by its raw text (with an empty type).
type seenKey struct {
	t Type
	v string
}

// seenIndex finds the indicators and rejections already in a Result, so
// that each is reported once. It stores no keys of its own: short results
// are searched linearly, longer ones through an open-addressing table of
// their indexes, hashed with the runtime's string hash.
type seenIndex struct {
	slots []uint32 // 0 for empty, else index+1, with rejFlag for a rejection
	n     int      // entries in slots
}

const (
	rejFlag    = 1 << 31
	linearMax  = 16 // results up to this size are searched linearly
	firstSlots = 8 * linearMax
)

var hashSeed = maphash.MakeSeed()

func hashKey(k seenKey) uint64 {
	h := maphash.String(hashSeed, k.v)
	if k.t != "" {
		h ^= uint64(k.t[0]) * 0x9e3779b97f4a7c15
	}
	return h
}

// key returns the key of the entry a slot refers to.
func (r *Result) key(ref uint32) seenKey {
	if ref&rejFlag != 0 {
		return seenKey{"", r.Rejected[ref&^rejFlag-1].Raw}
	}
	ind := &r.Indicators[ref-1]
	return seenKey{ind.Type, ind.Value}
}

// seenBefore reports whether k is in the result already.
func (sc *scanner) seenBefore(k seenKey) bool {
	r := &sc.res
	if sc.seen.slots == nil {
		if k.t == "" {
			for i := range r.Rejected {
				if r.Rejected[i].Raw == k.v {
					return true
				}
			}
			return false
		}
		for i := range r.Indicators {
			if r.Indicators[i].Value == k.v && r.Indicators[i].Type == k.t {
				return true
			}
		}
		return false
	}
	_, found := sc.seen.find(r, k)
	return found
}

// record indexes the entry just appended to the result: the last
// indicator, or the last rejection when rejected is set.
func (sc *scanner) record(rejected bool) {
	r := &sc.res
	if sc.seen.slots == nil {
		if len(r.Indicators)+len(r.Rejected) <= linearMax {
			return
		}
		sc.seen.rebuild(r, firstSlots)
		return
	}
	ref := uint32(len(r.Indicators))
	if rejected {
		ref = uint32(len(r.Rejected)) | rejFlag
	}
	i, _ := sc.seen.find(r, r.key(ref))
	sc.seen.slots[i] = ref
	if sc.seen.n++; 2*sc.seen.n > len(sc.seen.slots) {
		sc.seen.rebuild(r, 2*len(sc.seen.slots))
	}
}

// reindex rebuilds the index after entries were taken out of the result.
func (sc *scanner) reindex() {
	if sc.seen.slots != nil {
		sc.seen.rebuild(&sc.res, len(sc.seen.slots))
	}
}

// find returns the slot holding k, or the empty slot where it would go.
func (x *seenIndex) find(r *Result, k seenKey) (int, bool) {
	mask := len(x.slots) - 1
	for i := int(hashKey(k)) & mask; ; i = (i + 1) & mask {
		ref := x.slots[i]
		if ref == 0 {
			return i, false
		}
		if r.key(ref) == k {
			return i, true
		}
	}
}

// rebuild indexes every entry of r in a table of size slots (a power of 2).
func (x *seenIndex) rebuild(r *Result, size int) {
	for size < 4*(len(r.Indicators)+len(r.Rejected)) {
		size *= 2
	}
	x.slots, x.n = make([]uint32, size), 0
	put := func(ref uint32) {
		mask := size - 1
		i := int(hashKey(r.key(ref))) & mask
		for x.slots[i] != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = ref
		x.n++
	}
	for i := range r.Indicators {
		put(uint32(i + 1))
	}
	for i := range r.Rejected {
		put(uint32(i+1) | rejFlag)
	}
}
