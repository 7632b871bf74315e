-- Refresh tokens: one row per rotation family instead of one per token.
--
-- Why: rotation is the refresh grant's one write. With a row per token it
-- marked the presented row used and inserted its successor, with six
-- indexes: a heap tuple and six index entries per refresh, and a table
-- growing by a row per refresh until the tokens expired. Tokens now carry
-- their family id, and a rotation replaces the digest of the family's
-- current token in place. No column a rotation changes is indexed (there
-- is no expiry index: housekeeping scans), and pages keep a fifth free,
-- so a rotation is a heap-only (HOT) update that writes no index at all.
-- A token of the family that is not the current one is a spent one, so
-- reuse detection needs no row per spent token.
--
-- Tokens issued before this migration carry no family id. Each family's
-- newest token becomes the family's row (its digest, times and revocation;
-- a spent newest token, which rotation never leaves, revokes the family),
-- and every old token's digest is kept in refresh_legacy_tokens with its
-- family: an old current token still rotates, and an old spent one is
-- still a replay that revokes its family. Those rows go with their family.
--
-- refresh_tokens is emptied, not dropped, so that nodes of the previous
-- release, which serve beside new ones during a rolling update, answer
-- invalid_grant instead of failing on a missing table; the next release
-- drops it. (Tokens those nodes issue meanwhile are not carried over: their
-- clients sign the user in again. See deploy/README.md, Upgrades.)

CREATE TABLE refresh_families (
    family_id  uuid        NOT NULL,
    token_hash bytea       NOT NULL,  -- SHA-256 of the current token
    client_id  text        COLLATE "C" NOT NULL
                           REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id    uuid        REFERENCES users (id) ON DELETE CASCADE,
    scopes     text[]      NOT NULL,
    session_id text,
    grant_info jsonb       NOT NULL,
    issued_at  timestamptz NOT NULL,  -- of the current token
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT refresh_families_pkey PRIMARY KEY (family_id)
) WITH (fillfactor = 80);
CREATE INDEX refresh_families_session_id ON refresh_families (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX refresh_families_user_id ON refresh_families (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX refresh_families_client_id ON refresh_families (client_id);

CREATE TABLE refresh_legacy_tokens (
    token_hash bytea NOT NULL,
    family_id  uuid  NOT NULL REFERENCES refresh_families (family_id) ON DELETE CASCADE,
    CONSTRAINT refresh_legacy_tokens_pkey PRIMARY KEY (token_hash)
);
CREATE INDEX refresh_legacy_tokens_family_id ON refresh_legacy_tokens (family_id);

INSERT INTO refresh_families (family_id, token_hash, client_id, user_id, scopes, session_id,
                              grant_info, issued_at, expires_at, revoked_at)
SELECT DISTINCT ON (family_id)
       family_id, token_hash, client_id, user_id, scopes, session_id, grant_info, issued_at,
       expires_at, COALESCE(revoked_at, used_at)
FROM refresh_tokens
ORDER BY family_id, issued_at DESC, used_at IS NULL DESC;

INSERT INTO refresh_legacy_tokens (token_hash, family_id)
SELECT token_hash, family_id FROM refresh_tokens;

DELETE FROM refresh_tokens;
