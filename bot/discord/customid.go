package discord

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ttp0/drone/drone"
)

// A modal carries in its custom id everything its submission needs, so that
// no state waits on drone's side between opening and submitting it:
//
//	m:<dialog>:<incident number>:<key>:<fixed>
//
// key is the id of the interaction that opened the modal (a declaration's
// idempotency key); fixed holds, for each select field of the dialog in
// order, the index of the value already chosen as a command option, or
// nothing. A button's custom id is "<action>:<incident number>".
type modalID struct {
	Dialog string
	Ref    int64
	Key    string
	Fixed  []int // -1 where no value was chosen
}

var errCustomID = errors.New("malformed custom id")

// String encodes the modal id as a custom id.
func (m modalID) String() string {
	idx := make([]string, len(m.Fixed))
	for i, n := range m.Fixed {
		if n >= 0 {
			idx[i] = strconv.Itoa(n)
		}
	}
	return fmt.Sprintf("m:%s:%d:%s:%s", m.Dialog, m.Ref, m.Key, strings.Join(idx, "."))
}

// parseModalID reads a modal's custom id.
func parseModalID(s string) (modalID, error) {
	parts := strings.Split(s, ":")
	if len(s) > maxCustomID || len(parts) != 5 || parts[0] != "m" {
		return modalID{}, errCustomID
	}
	m := modalID{Dialog: parts[1], Key: parts[3]}
	switch m.Dialog {
	case "declare", "status", "close", "ioc", "timeline":
	default:
		return modalID{}, errCustomID
	}
	ref, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || ref < 0 || (m.Key != "" && !isSnowflake(m.Key)) {
		return modalID{}, errCustomID
	}
	m.Ref = ref
	if parts[4] != "" {
		for _, p := range strings.Split(parts[4], ".") {
			n := -1
			if p != "" {
				if n, err = strconv.Atoi(p); err != nil || n < 0 || n > 10000 {
					return modalID{}, errCustomID
				}
			}
			m.Fixed = append(m.Fixed, n)
		}
	}
	return m, nil
}

// parseButtonID reads a notice button's custom id, "ack:3".
func parseButtonID(s string) (action string, ref int64, err error) {
	action, num, ok := strings.Cut(s, ":")
	if !ok {
		return "", 0, errCustomID
	}
	switch action {
	case "ack", "ioc", "status", "close":
	default:
		return "", 0, errCustomID
	}
	ref, err = strconv.ParseInt(num, 10, 64)
	if err != nil || ref < 1 {
		return "", 0, errCustomID
	}
	return action, ref, nil
}

// encodeFixed returns, for each select field of d, the index of its value in
// values among the options it has given the other values; -1 for none.
func encodeFixed(d *drone.Dialog, values map[string]string) []int {
	var out []int
	for _, f := range d.Fields {
		if f.Kind != drone.FieldSelect {
			continue
		}
		idx := -1
		for i, o := range f.OptionsFor(values) {
			if v, ok := values[f.ID]; ok && o.Value == v {
				idx = i
			}
		}
		out = append(out, idx)
	}
	return out
}

// decodeFixed is the inverse of encodeFixed: it sets values from indices.
func decodeFixed(d *drone.Dialog, fixed []int, values map[string]string) error {
	i := 0
	for _, f := range d.Fields {
		if f.Kind != drone.FieldSelect {
			continue
		}
		if i >= len(fixed) {
			return nil
		}
		n := fixed[i]
		i++
		if n < 0 {
			continue
		}
		opts := f.OptionsFor(values)
		if n >= len(opts) {
			return fmt.Errorf("%s: choice %d of %d: the configuration changed since the form opened", f.Label, n, len(opts))
		}
		values[f.ID] = opts[n].Value
	}
	return nil
}
