-- The responders' workflow: the roles people hold on an incident (scribe,
-- communications, legal; the lead keeps its column), whether it is private,
-- its follow-up actions and its post-incident reviews.
ALTER TABLE incident ADD COLUMN roles TEXT NOT NULL DEFAULT '{}';
ALTER TABLE incident ADD COLUMN private INTEGER NOT NULL DEFAULT 0;

-- Follow-up actions outlive their incident's closing: they have their own
-- status and numbers (ACT-n), and trackers' references (a TheHive task,
-- a Jira issue) in external.
CREATE TABLE action (
    id          TEXT PRIMARY KEY,
    number      INTEGER NOT NULL UNIQUE,
    incident_id TEXT NOT NULL REFERENCES incident (id),
    text        TEXT NOT NULL,
    owner       TEXT NOT NULL DEFAULT '',
    due         TEXT,
    status      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    done_at     TEXT,
    note        TEXT NOT NULL DEFAULT '',
    external    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX action_incident ON action (incident_id, number);
CREATE INDEX action_open ON action (status, due);

-- Post-incident reviews, every version kept: a redraft adds one.
CREATE TABLE review (
    incident_id TEXT NOT NULL REFERENCES incident (id),
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    author      TEXT NOT NULL,
    markdown    TEXT NOT NULL,
    html        TEXT NOT NULL,
    PRIMARY KEY (incident_id, version)
);
