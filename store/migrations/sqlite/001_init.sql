-- Incidents, their observables and their hash-chained timelines. Times are
-- UTC text in one fixed-width format, so they sort as text and read the same
-- in any SQL database.
CREATE TABLE incident (
    id              TEXT PRIMARY KEY,
    number          INTEGER NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    category        TEXT NOT NULL,
    category_name   TEXT NOT NULL,
    subcontext      TEXT NOT NULL DEFAULT '',
    severity        INTEGER NOT NULL,
    severity_name   TEXT NOT NULL,
    tier            TEXT NOT NULL DEFAULT '',
    zone            TEXT NOT NULL DEFAULT '',
    business_unit   TEXT NOT NULL DEFAULT '',
    tlp             TEXT NOT NULL,
    pap             TEXT NOT NULL,
    overview        TEXT NOT NULL,
    reporter        TEXT NOT NULL,
    lead            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    resolution      TEXT NOT NULL DEFAULT '',
    impact          TEXT NOT NULL DEFAULT '',
    summary         TEXT NOT NULL DEFAULT '',
    tags            TEXT NOT NULL DEFAULT '[]',
    external        TEXT NOT NULL DEFAULT '{}',
    declared_at     TEXT NOT NULL,
    acknowledged_at TEXT,
    contained_at    TEXT,
    resolved_at     TEXT,
    closed_at       TEXT,
    updated_at      TEXT NOT NULL,
    next_update_due TEXT
);
CREATE INDEX incident_status ON incident (status, number);
CREATE INDEX incident_declared ON incident (declared_at);

CREATE TABLE observable (
    id          INTEGER PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incident (id),
    type        TEXT NOT NULL,
    value       TEXT NOT NULL,
    raw         TEXT NOT NULL,
    tlp         TEXT NOT NULL,
    ioc         INTEGER NOT NULL DEFAULT 0,
    internal    INTEGER NOT NULL DEFAULT 0,
    tags        TEXT NOT NULL DEFAULT '[]',
    added_by    TEXT NOT NULL,
    origin      TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    UNIQUE (incident_id, type, value)
);
-- "Was this indicator seen before?" looks values up across every incident.
CREATE INDEX observable_value ON observable (value, type);

CREATE TABLE timeline (
    incident_id TEXT NOT NULL REFERENCES incident (id),
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    origin      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    data        TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    PRIMARY KEY (incident_id, seq)
);
