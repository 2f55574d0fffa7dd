-- External references of incidents (a chat channel, a TheHive case, the
-- idempotency key of a declaration), looked up by (key, value).
CREATE TABLE incident_ref (
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incident (id),
    PRIMARY KEY (key, value)
);
CREATE INDEX incident_ref_incident ON incident_ref (incident_id);

-- Deliveries already handled (Slack event ids, Discord interaction ids), so
-- that a retried delivery is processed once.
CREATE TABLE claim (
    key TEXT PRIMARY KEY,
    at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX claim_at ON claim (at);
