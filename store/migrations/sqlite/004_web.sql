-- Accounts of the web console and their sessions. A session is kept by the
-- hash of its id only, so that a copy of the database signs nobody in.
CREATE TABLE web_account (
    name          TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL DEFAULT '[]',
    clearance     TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE web_session (
    id_hash    TEXT PRIMARY KEY,
    account    TEXT NOT NULL REFERENCES web_account (name) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL
);
CREATE INDEX web_session_account ON web_session (account);
