-- Pratu's relational schema, PostgreSQL flavour (native types: uuid,
-- timestamptz, jsonb, text[], bytea). Same tables and meaning as
-- migrations/sqlite. Tables are created unqualified, in the first schema of
-- the connection's search_path.
--
-- Unique constraints carry the names `sql/error.rs` maps to a subject
-- (`users_username_key` → "username").

CREATE TABLE users (
    id                uuid        NOT NULL,
    -- Byte order, as on SQLite: username search is a prefix range.
    username          text        COLLATE "C" NOT NULL,
    password_hash     text        NOT NULL,
    status            text        NOT NULL,
    roles             text[]      NOT NULL,
    name              jsonb       NOT NULL,
    birth_date        jsonb,
    phone             text,
    phone_verified    boolean     NOT NULL,
    citizen_id_sealed bytea,
    citizen_index     bytea,
    proofing          jsonb,
    locale            text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_citizen_index_key UNIQUE (citizen_index)
);

CREATE TABLE enrollments (
    id                uuid        NOT NULL,
    step              text        NOT NULL,
    version           bigint      NOT NULL,
    citizen_id_sealed bytea,
    -- Not unique: an abandoned enrollment must not block a fresh one.
    citizen_index     bytea,
    data              jsonb       NOT NULL,
    -- Deferred so `complete_enrollment` can claim the enrollment (version
    -- check) before inserting the user, in one transaction.
    user_id           uuid        REFERENCES users (id) ON DELETE SET NULL
                                  DEFERRABLE INITIALLY DEFERRED,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    CONSTRAINT enrollments_pkey PRIMARY KEY (id)
);
CREATE INDEX enrollments_expires_at ON enrollments (expires_at);
CREATE INDEX enrollments_citizen_index ON enrollments (citizen_index);

CREATE TABLE clients (
    client_id                           text        COLLATE "C" NOT NULL,
    secret_hash                         bytea,
    client_name                         text        NOT NULL,
    redirect_uris                       text[]      NOT NULL,
    post_logout_redirect_uris           text[]      NOT NULL,
    grant_types                         text[]      NOT NULL,
    response_types                      text[]      NOT NULL,
    scopes                              text[]      NOT NULL,
    token_endpoint_auth_method          text        NOT NULL,
    jwks                                jsonb,
    jwks_uri                            text,
    id_token_signed_response_alg        text,
    subject_type                        text        NOT NULL,
    sector_identifier_uri               text,
    backchannel_logout_uri              text,
    backchannel_logout_session_required boolean     NOT NULL,
    first_party                         boolean     NOT NULL,
    allow_citizen_id                    boolean     NOT NULL,
    status                              text        NOT NULL,
    extra                               jsonb       NOT NULL,
    created_at                          timestamptz NOT NULL,
    updated_at                          timestamptz NOT NULL,
    CONSTRAINT clients_pkey PRIMARY KEY (client_id)
);

CREATE TABLE consents (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  text        COLLATE "C" NOT NULL
                           REFERENCES clients (client_id) ON DELETE CASCADE,
    scopes     text[]      NOT NULL,
    granted_at timestamptz NOT NULL,
    CONSTRAINT consents_pkey PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client_id ON consents (client_id);

CREATE TABLE refresh_tokens (
    token_hash bytea       NOT NULL,
    family_id  uuid        NOT NULL,
    client_id  text        COLLATE "C" NOT NULL
                           REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id    uuid        REFERENCES users (id) ON DELETE CASCADE,
    scopes     text[]      NOT NULL,
    session_id text,
    grant_info jsonb       NOT NULL,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz,
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (token_hash)
);
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX refresh_tokens_client_id ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE signing_keys (
    kid            text        NOT NULL,
    alg            text        NOT NULL,
    private_sealed bytea       NOT NULL,
    public_jwk     jsonb       NOT NULL,
    created_at     timestamptz NOT NULL,
    activates_at   timestamptz NOT NULL,
    retires_at     timestamptz,
    expires_at     timestamptz,
    CONSTRAINT signing_keys_pkey PRIMARY KEY (kid)
);

CREATE TABLE audit_events (
    id         uuid        NOT NULL,
    at         timestamptz NOT NULL,
    actor      text        NOT NULL,
    action     text        NOT NULL,
    target     text,
    request_id text,
    outcome    text        NOT NULL,
    details    jsonb       NOT NULL,
    CONSTRAINT audit_events_pkey PRIMARY KEY (id)
);
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_actor ON audit_events (actor, at);
CREATE INDEX audit_events_action ON audit_events (action, at);
CREATE INDEX audit_events_target ON audit_events (target, at) WHERE target IS NOT NULL;
