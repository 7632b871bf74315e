-- Second factors besides SMS (issue 19): a user's authenticator app (TOTP)
-- and the recovery codes that stand in for a lost device. The TOTP secret
-- is sealed like the citizen ID; recovery codes are kept as SHA-256
-- digests (each carries 80 random bits). Both go with the user row.

CREATE TABLE user_totp (
    user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed  bytea       NOT NULL,
    activated_at   timestamptz,
    last_used_step bigint,
    created_at     timestamptz NOT NULL,
    CONSTRAINT user_totp_pkey PRIMARY KEY (user_id)
);

CREATE TABLE recovery_codes (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT recovery_codes_pkey PRIMARY KEY (user_id, code_hash)
);
