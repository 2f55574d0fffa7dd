-- The messages notification media sent, by delivery key. Before this
-- migration the notifier created the table itself: IF NOT EXISTS keeps
-- what those databases hold.
CREATE TABLE IF NOT EXISTS notify_delivery (
	key         TEXT PRIMARY KEY,
	incident_id TEXT NOT NULL,
	event       TEXT NOT NULL,
	medium      TEXT NOT NULL,
	address     TEXT NOT NULL,
	message_id  TEXT NOT NULL,
	thread      TEXT NOT NULL,
	sent_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notify_delivery_thread ON notify_delivery (incident_id, medium, address, sent_at);
