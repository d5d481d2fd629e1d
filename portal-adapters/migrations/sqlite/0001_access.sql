-- Access: portals, users, memberships, credentials, sessions, invitations, single-use tokens,
-- audit log, login throttle. Ids are UUID text (v7, so text order is time order); times are
-- microseconds since the Unix epoch, UTC.

CREATE TABLE portals (
    id          TEXT PRIMARY KEY NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    mode        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL
);

CREATE TABLE users (
    portal_id     TEXT NOT NULL REFERENCES portals(id),
    id            TEXT NOT NULL,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    mfa_enabled   INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    PRIMARY KEY (portal_id, id),
    UNIQUE (portal_id, email)
);

CREATE TABLE memberships (
    portal_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    roles       TEXT NOT NULL,
    status      TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (portal_id, user_id),
    FOREIGN KEY (portal_id, user_id) REFERENCES users(portal_id, id)
);
CREATE INDEX memberships_by_status ON memberships (portal_id, status, user_id);

CREATE TABLE credentials (
    portal_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    phc         TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (portal_id, user_id),
    FOREIGN KEY (portal_id, user_id) REFERENCES users(portal_id, id)
);

CREATE TABLE sessions (
    portal_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    token_hash    BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    auth_time     INTEGER NOT NULL,
    PRIMARY KEY (portal_id, id),
    UNIQUE (portal_id, token_hash)
);
CREATE INDEX sessions_by_user ON sessions (portal_id, user_id);

CREATE TABLE invitations (
    portal_id    TEXT NOT NULL REFERENCES portals(id),
    id           TEXT NOT NULL,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL,
    token_hash   BLOB NOT NULL,
    invited_by   TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    accepted_at  INTEGER,
    revoked_at   INTEGER,
    PRIMARY KEY (portal_id, id),
    UNIQUE (portal_id, token_hash)
);

CREATE TABLE one_time_tokens (
    portal_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    token_hash  BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    PRIMARY KEY (portal_id, token_hash)
);
CREATE INDEX one_time_tokens_by_user ON one_time_tokens (portal_id, user_id, purpose);

CREATE TABLE audit_events (
    portal_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT,
    action      TEXT NOT NULL,
    target      TEXT,
    outcome     TEXT NOT NULL,
    request_id  TEXT,
    details     TEXT NOT NULL,
    PRIMARY KEY (portal_id, id)
);
-- Append-only (L3): the database itself refuses to rewrite history.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

CREATE TABLE login_throttle (
    portal_id      TEXT NOT NULL,
    key            TEXT NOT NULL,
    failures       INTEGER NOT NULL,
    blocked_until  INTEGER,
    PRIMARY KEY (portal_id, key)
);
