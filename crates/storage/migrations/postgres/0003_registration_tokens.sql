-- Initial access tokens for RFC 7591 dynamic client registration, issued by
-- `pratu client registration-token` (a separate process from the server, so
-- they live in the database the two share). Only a SHA-256 digest of each
-- token is kept; a token is deleted when it registers a client (single use)
-- and housekeeping deletes expired ones.

CREATE TABLE registration_tokens (
    token_hash bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT registration_tokens_pkey PRIMARY KEY (token_hash)
);
