package drone

import "context"

// IncidentSightings is what a store may add to answer "seen elsewhere?" for
// every indicator of an incident in one query; without it, SeenElsewhere
// asks indicator by indicator.
type IncidentSightings interface {
	// SightingsOf returns the sightings, in other incidents, of the
	// observables of the incident with the given id, newest incident first,
	// at most limit.
	SightingsOf(ctx context.Context, incidentID string, limit int) ([]Sighting, error)
}

// SeenElsewhere returns where the indicators of an incident were also seen:
// the sightings in other incidents, newest incident first, at most limit
// (0 means 1000).
func (s *Service) SeenElsewhere(ctx context.Context, incidentID string, limit int) ([]Sighting, error) {
	if limit <= 0 {
		limit = 1000
	}
	if is, ok := s.Store.(IncidentSightings); ok {
		return is.SightingsOf(ctx, incidentID, limit)
	}
	obs, err := s.Store.Observables(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	var out []Sighting
	for _, o := range obs {
		ss, err := s.Store.Sightings(ctx, string(o.Type), o.Value, 20)
		if err != nil {
			return nil, err
		}
		for _, si := range ss {
			if si.IncidentID != incidentID && len(out) < limit {
				out = append(out, si)
			}
		}
	}
	return out, nil
}
