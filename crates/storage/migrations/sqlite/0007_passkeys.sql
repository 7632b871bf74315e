-- Passkeys (WebAuthn credentials) of accounts (DESIGN.md "Citizen account
-- and recovery", second factors). The credential ID is the key: sign-in
-- finds the account from the credential the browser chose. `credential` is
-- the WebAuthn layer's serialised credential (public key, counter), opaque
-- here. An account's passkeys go with it.

CREATE TABLE passkeys (
    credential_id BLOB    NOT NULL PRIMARY KEY,
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    credential    TEXT    NOT NULL,  -- JSON, owned by the WebAuthn layer
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
) STRICT;
CREATE INDEX passkeys_user_id ON passkeys (user_id);
