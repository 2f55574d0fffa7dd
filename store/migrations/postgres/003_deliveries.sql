-- The messages notification media sent, by delivery key: a retried
-- delivery finds its message here and sends nothing again.
CREATE TABLE notify_delivery (
    id          BIGSERIAL PRIMARY KEY, -- orders records made in one instant
    key         TEXT NOT NULL UNIQUE,
    incident_id TEXT NOT NULL,
    event       TEXT NOT NULL,
    medium      TEXT NOT NULL,
    address     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    thread      TEXT NOT NULL,
    sent_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX notify_delivery_thread ON notify_delivery (incident_id, medium, address, sent_at);
