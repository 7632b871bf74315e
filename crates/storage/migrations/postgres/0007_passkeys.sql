-- Passkeys (WebAuthn credentials) of accounts (DESIGN.md "Citizen account
-- and recovery", second factors). The credential ID is the key: sign-in
-- finds the account from the credential the browser chose. `credential` is
-- the WebAuthn layer's serialised credential (public key, counter), opaque
-- here. An account's passkeys go with it.

CREATE TABLE passkeys (
    credential_id bytea       NOT NULL,
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text        NOT NULL,
    credential    text        NOT NULL,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    CONSTRAINT passkeys_pkey PRIMARY KEY (credential_id)
);
CREATE INDEX passkeys_user_id ON passkeys (user_id);
