-- Accounts of the web console and their sessions. A session is kept by the
-- hash of its id only, so that a copy of the database signs nobody in.
CREATE TABLE web_account (
    name          TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL DEFAULT '[]',
    clearance     TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE web_session (
    id_hash    TEXT PRIMARY KEY,
    account    TEXT NOT NULL REFERENCES web_account (name) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_session_account ON web_session (account);

-- The transaction that wrote each timeline entry, so that readers of the
-- change feed can take every entry once its transaction has finished, even
-- when transactions commit out of order (see Postgres.Changes).
ALTER TABLE timeline ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX timeline_txid ON timeline (txid);
