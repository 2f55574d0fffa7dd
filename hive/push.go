package hive

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ttp0/drone/drone"
	"github.com/ttp0/drone/drone/ioc"
)

// TagInternal marks observables that are the organisation's own (private
// addresses, its domains).
const TagInternal = "internal"

// pushObservables adds observables to a case, one request per data type and
// set of flags. A value the case already holds counts as added, so pushing
// again after a lost answer, or two analysts' identical indicators, leave
// one observable. Batches whose trouble is their own (an unknown data type)
// do not stop the others; trouble with TheHive itself does.
func (w *Worker) pushObservables(ctx context.Context, caseID string, st *incidentState, obs []drone.Observable) error {
	var errs syncErrors
	for _, in := range observableBatches(st.inc, obs) {
		res, err := w.client.CreateObservables(ctx, caseID, in)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s, %s observables: %w", st.inc.Ref(), in.DataType, err))
			if IsNotFound(err) || IsBadRequest(err) {
				continue
			}
			break
		}
		if fails := res.Errors(); len(fails) > 0 {
			errs = append(errs, &observableError{ref: st.inc.Ref(), dataType: in.DataType, failures: fails})
		}
	}
	return errs.err()
}

// observableBatches groups observables by TheHive data type and by what
// TheHive stores per observable (ioc flag, TLP, tags, message), in the
// order they came.
func observableBatches(inc *drone.Incident, obs []drone.Observable) []ObservableInput {
	var out []ObservableInput
	index := map[string]int{}
	for _, o := range obs {
		in := ObservableInput{
			DataType: ioc.Indicator{Type: o.Type, Value: o.Value}.HiveDataType(),
			Message:  observableMessage(inc, o),
			TLP:      o.TLP,
			IOC:      o.IOC,
			Tags:     observableTags(o),
		}
		key := strings.Join([]string{in.DataType, fmt.Sprint(in.IOC), in.TLP, in.Message, strings.Join(in.Tags, "\x00")}, "\x01")
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, in)
		}
		out[i].Data = append(out[i].Data, o.Value)
	}
	return out
}

// observableMessage says who added an observable, where and to which
// incident.
func observableMessage(inc *drone.Incident, o drone.Observable) string {
	msg := fmt.Sprintf("Added to %s by %s (%s)", inc.Ref(), o.AddedBy.String(), o.AddedBy.Identity())
	if o.Origin.Channel != "" {
		msg += " from " + o.Origin.Channel
	}
	if o.Origin.Ref != "" {
		msg += " (" + o.Origin.Ref + ")"
	}
	return msg + "."
}

func observableTags(o drone.Observable) []string {
	tags := slices.Clone(o.Tags)
	if o.Internal {
		tags = append(tags, TagInternal)
	}
	slices.Sort(tags)
	return slices.Compact(tags)
}

// observableError is TheHive's refusal of some values of one data type, in
// a 207 answer, other than "already exists".
type observableError struct {
	ref      string
	dataType string
	failures []ObservableFailure
}

func (e *observableError) Error() string {
	f := e.failures[0]
	s := fmt.Sprintf("TheHive refused %d %s observable(s) of %s: %s: %s (%q)", len(e.failures), e.dataType, e.ref, f.Type, f.Message, f.Data)
	if n := len(e.failures) - 1; n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}

// retryable reports whether any failure may pass later: TheHive's own
// trouble rather than a refusal of the value.
func (e *observableError) retryable() bool {
	for _, f := range e.failures {
		switch f.Type {
		case "CreateError", "ConflictError", "AttributeCheckingError", "BadRequest", "NotFoundError", "AuthorizationError":
		default:
			return true
		}
	}
	return false
}
