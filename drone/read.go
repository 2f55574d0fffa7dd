package drone

import "context"

// Reader is what adapters and integrations read of incidents. The Service
// implements it over its Store, so that nothing outside the core reaches
// through to the store.
type Reader interface {
	Incident(ctx context.Context, number int64) (*Incident, error)
	IncidentByID(ctx context.Context, id string) (*Incident, error)
	Incidents(ctx context.Context, f IncidentFilter) ([]*Incident, error)
	Observables(ctx context.Context, incidentID string) ([]Observable, error)
	Timeline(ctx context.Context, incidentID string) ([]Entry, error)
}

var _ Reader = (*Service)(nil)

// Incident returns the incident with the given number (ENOTFOUND if none).
func (s *Service) Incident(ctx context.Context, number int64) (*Incident, error) {
	return s.Store.Incident(ctx, number)
}

// IncidentByID returns the incident with the given UUID (ENOTFOUND if none).
func (s *Service) IncidentByID(ctx context.Context, id string) (*Incident, error) {
	return s.Store.IncidentByID(ctx, id)
}

// Incidents lists incidents, newest first.
func (s *Service) Incidents(ctx context.Context, f IncidentFilter) ([]*Incident, error) {
	return s.Store.Incidents(ctx, f)
}

// Observables returns an incident's observables in the order they were added.
func (s *Service) Observables(ctx context.Context, incidentID string) ([]Observable, error) {
	return s.Store.Observables(ctx, incidentID)
}

// Timeline returns an incident's entries in order.
func (s *Service) Timeline(ctx context.Context, incidentID string) ([]Entry, error) {
	return s.Store.Timeline(ctx, incidentID)
}

// Sightings returns the incidents an indicator was seen in, newest first.
func (s *Service) Sightings(ctx context.Context, typ, value string, limit int) ([]Sighting, error) {
	return s.Store.Sightings(ctx, typ, value, limit)
}

// SightingsSeenBy returns the sightings of an indicator in the incidents
// a may see: a private incident a may not see is no more named in "seen
// before" answers than anywhere else.
func (s *Service) SightingsSeenBy(ctx context.Context, a Actor, typ, value string, limit int) ([]Sighting, error) {
	ss, err := s.Store.Sightings(ctx, typ, value, limit)
	if err != nil {
		return nil, err
	}
	out := ss[:0]
	for _, si := range ss {
		inc, err := s.Store.IncidentByID(ctx, si.IncidentID)
		if err != nil {
			return nil, err
		}
		if s.CanSee(a, inc, 0) {
			out = append(out, si)
		}
	}
	return out, nil
}

// IncidentByRef returns the incident an external reference names, such as
// its chat channel ("slack.channel", "C123"); ENOTFOUND if none.
func (s *Service) IncidentByRef(ctx context.Context, key, value string) (*Incident, error) {
	return s.Store.IncidentByRef(ctx, key, value)
}

// Claim records key and reports whether this is its first claim, so that a
// delivery a platform retries (a Slack event, a Discord interaction) is
// handled once.
func (s *Service) Claim(ctx context.Context, key string) (bool, error) {
	return s.Store.Claim(ctx, key)
}

// Enqueue adds jobs that no incident change causes (a scheduled digest) to
// the durable queue, in a transaction of their own.
func (s *Service) Enqueue(ctx context.Context, jobs ...Job) error {
	return s.Store.Update(ctx, func(tx Tx) error { return tx.Enqueue(ctx, jobs) })
}

// RecordDelivery records a message a medium sent; a key already recorded
// keeps its first record.
func (s *Service) RecordDelivery(ctx context.Context, d Delivery) error {
	return s.Store.Update(ctx, func(tx Tx) error { return tx.RecordDelivery(ctx, d) })
}

// Delivery returns the message recorded for a delivery key; ok is false
// when none was sent.
func (s *Service) Delivery(ctx context.Context, key string) (Delivery, bool, error) {
	return s.Store.Delivery(ctx, key)
}

// LastDelivery returns the last message sent to an address about an
// incident (the zero MessageRef when none).
func (s *Service) LastDelivery(ctx context.Context, incidentID, medium, address string) (MessageRef, error) {
	return s.Store.LastDelivery(ctx, incidentID, medium, address)
}

// Deliveries returns the messages sent about an incident, oldest first.
func (s *Service) Deliveries(ctx context.Context, incidentID string) ([]Delivery, error) {
	return s.Store.Deliveries(ctx, incidentID)
}

// DeliveryCounts returns the number of messages sent, by medium.
func (s *Service) DeliveryCounts(ctx context.Context) (map[string]int64, error) {
	return s.Store.DeliveryCounts(ctx)
}
