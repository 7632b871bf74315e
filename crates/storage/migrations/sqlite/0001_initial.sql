-- Pratu's relational schema, SQLite flavour.
--
-- Conventions (kept identical in spirit to migrations/postgres):
-- * timestamps are INTEGER microseconds since the Unix epoch, UTC (the same
--   precision PostgreSQL's timestamptz keeps, so records round-trip alike on
--   both backends);
-- * UUIDs are TEXT in the hyphenated lower-case form;
-- * lists and documents are TEXT holding JSON;
-- * digests, sealed values and blind indexes are BLOB.
--
-- Unique constraints are named by their column so a violation can be told
-- apart (`UNIQUE constraint failed: users.username`).

CREATE TABLE users (
    id                TEXT    NOT NULL PRIMARY KEY,
    username          TEXT    NOT NULL UNIQUE,
    password_hash     TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    roles             TEXT    NOT NULL,  -- JSON array of strings
    name              TEXT    NOT NULL,  -- JSON PersonName
    birth_date        TEXT,              -- JSON PartialDate
    phone             TEXT,
    phone_verified    INTEGER NOT NULL,
    citizen_id_sealed BLOB,
    citizen_index     BLOB    UNIQUE,
    proofing          TEXT,              -- JSON Proofing
    locale            TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;

CREATE TABLE enrollments (
    id                TEXT    NOT NULL PRIMARY KEY,
    step              TEXT    NOT NULL,
    version           INTEGER NOT NULL,
    citizen_id_sealed BLOB,
    -- Not unique: an abandoned enrollment must not block a fresh one.
    citizen_index     BLOB,
    data              TEXT    NOT NULL,  -- JSON, owned by pratu-registration
    -- Deferred so `complete_enrollment` can claim the enrollment (version
    -- check) before inserting the user, in one transaction.
    user_id           TEXT    REFERENCES users (id) ON DELETE SET NULL
                              DEFERRABLE INITIALLY DEFERRED,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX enrollments_expires_at ON enrollments (expires_at);
CREATE INDEX enrollments_citizen_index ON enrollments (citizen_index);

CREATE TABLE clients (
    client_id                           TEXT    NOT NULL PRIMARY KEY,
    secret_hash                         BLOB,
    client_name                         TEXT    NOT NULL,
    redirect_uris                       TEXT    NOT NULL,  -- JSON array
    post_logout_redirect_uris           TEXT    NOT NULL,  -- JSON array
    grant_types                         TEXT    NOT NULL,  -- JSON array
    response_types                      TEXT    NOT NULL,  -- JSON array
    scopes                              TEXT    NOT NULL,  -- JSON array
    token_endpoint_auth_method          TEXT    NOT NULL,
    jwks                                TEXT,              -- JSON
    jwks_uri                            TEXT,
    id_token_signed_response_alg        TEXT,
    subject_type                        TEXT    NOT NULL,
    sector_identifier_uri               TEXT,
    backchannel_logout_uri              TEXT,
    backchannel_logout_session_required INTEGER NOT NULL,
    first_party                         INTEGER NOT NULL,
    allow_citizen_id                    INTEGER NOT NULL,
    status                              TEXT    NOT NULL,
    extra                               TEXT    NOT NULL,  -- JSON
    created_at                          INTEGER NOT NULL,
    updated_at                          INTEGER NOT NULL
) STRICT;

CREATE TABLE consents (
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT    NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL,  -- JSON array
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
) STRICT;
CREATE INDEX consents_client_id ON consents (client_id);

CREATE TABLE refresh_tokens (
    token_hash BLOB    NOT NULL PRIMARY KEY,
    family_id  TEXT    NOT NULL,
    client_id  TEXT    NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id    TEXT    REFERENCES users (id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL,  -- JSON array
    session_id TEXT,
    grant_info TEXT    NOT NULL,  -- JSON
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX refresh_tokens_client_id ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE signing_keys (
    kid            TEXT    NOT NULL PRIMARY KEY,
    alg            TEXT    NOT NULL,
    private_sealed BLOB    NOT NULL,
    public_jwk     TEXT    NOT NULL,  -- JSON
    created_at     INTEGER NOT NULL,
    activates_at   INTEGER NOT NULL,
    retires_at     INTEGER,
    expires_at     INTEGER
) STRICT;

CREATE TABLE audit_events (
    id         TEXT    NOT NULL PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    target     TEXT,
    request_id TEXT,
    outcome    TEXT    NOT NULL,
    details    TEXT    NOT NULL  -- JSON
) STRICT;
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_actor ON audit_events (actor, at);
CREATE INDEX audit_events_action ON audit_events (action, at);
CREATE INDEX audit_events_target ON audit_events (target, at) WHERE target IS NOT NULL;
