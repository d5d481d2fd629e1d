-- Access: portals, users, memberships, credentials, sessions, invitations, single-use tokens,
-- audit log, login throttle. The same shape as the SQLite schema, so one set of statements
-- serves both: ids are UUID text (v7, so text order is time order); times are microseconds since
-- the Unix epoch, UTC; token hashes are the 32 bytes of a SHA-256.

CREATE TABLE portals (
    id          TEXT PRIMARY KEY NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    mode        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL
);

CREATE TABLE users (
    portal_id     TEXT NOT NULL REFERENCES portals(id),
    id            TEXT NOT NULL,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    mfa_enabled   BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL,
    version       BIGINT NOT NULL,
    PRIMARY KEY (portal_id, id),
    UNIQUE (portal_id, email)
);

CREATE TABLE memberships (
    portal_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    roles       TEXT NOT NULL,
    status      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    PRIMARY KEY (portal_id, user_id),
    FOREIGN KEY (portal_id, user_id) REFERENCES users(portal_id, id)
);
CREATE INDEX memberships_by_status ON memberships (portal_id, status, user_id);

CREATE TABLE credentials (
    portal_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    phc         TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (portal_id, user_id),
    FOREIGN KEY (portal_id, user_id) REFERENCES users(portal_id, id)
);

CREATE TABLE sessions (
    portal_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    token_hash    BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    auth_time     BIGINT NOT NULL,
    PRIMARY KEY (portal_id, id),
    UNIQUE (portal_id, token_hash)
);
CREATE INDEX sessions_by_user ON sessions (portal_id, user_id);

CREATE TABLE invitations (
    portal_id    TEXT NOT NULL REFERENCES portals(id),
    id           TEXT NOT NULL,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL,
    token_hash   BYTEA NOT NULL,
    invited_by   TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    accepted_at  BIGINT,
    revoked_at   BIGINT,
    PRIMARY KEY (portal_id, id),
    UNIQUE (portal_id, token_hash)
);

CREATE TABLE one_time_tokens (
    portal_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    token_hash  BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    PRIMARY KEY (portal_id, token_hash)
);
CREATE INDEX one_time_tokens_by_user ON one_time_tokens (portal_id, user_id, purpose);

CREATE TABLE audit_events (
    portal_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT,
    action      TEXT NOT NULL,
    target      TEXT,
    outcome     TEXT NOT NULL,
    request_id  TEXT,
    details     TEXT NOT NULL,
    PRIMARY KEY (portal_id, id)
);
-- Append-only (L3): the database itself refuses to rewrite or truncate history.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END
$$;
CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE login_throttle (
    portal_id      TEXT NOT NULL,
    key            TEXT NOT NULL,
    failures       BIGINT NOT NULL,
    blocked_until  BIGINT,
    PRIMARY KEY (portal_id, key)
);
