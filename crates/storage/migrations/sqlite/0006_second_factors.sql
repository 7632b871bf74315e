-- Second factors besides SMS (issue 19): a user's authenticator app (TOTP)
-- and the recovery codes that stand in for a lost device. The TOTP secret
-- is sealed like the citizen ID; recovery codes are kept as SHA-256
-- digests (each carries 80 random bits). Both go with the user row.

CREATE TABLE user_totp (
    user_id        TEXT    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed  BLOB    NOT NULL,
    activated_at   INTEGER,
    last_used_step INTEGER,
    created_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE recovery_codes (
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, code_hash)
) STRICT, WITHOUT ROWID;
