-- Refresh tokens: one row per rotation family instead of one per token.
--
-- Why: rotation is the refresh grant's one write. With a row per token it
-- marked the presented row used and inserted its successor, with six
-- indexes (hash, family, session, user, client, expiry): seven b-trees
-- touched per refresh, and a table growing by a row per refresh until the
-- tokens expired. Tokens now carry their family id, and a rotation replaces
-- the digest of the family's current token in place: the row and the
-- expiry index. A token of the family that is not the current one is a
-- spent one, so reuse detection needs no row per spent token.
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
    family_id  TEXT    NOT NULL PRIMARY KEY,
    token_hash BLOB    NOT NULL,  -- SHA-256 of the current token
    client_id  TEXT    NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id    TEXT    REFERENCES users (id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL,  -- JSON array
    session_id TEXT,
    grant_info TEXT    NOT NULL,  -- JSON
    issued_at  INTEGER NOT NULL,  -- of the current token
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX refresh_families_session_id ON refresh_families (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX refresh_families_user_id ON refresh_families (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX refresh_families_client_id ON refresh_families (client_id);
CREATE INDEX refresh_families_expires_at ON refresh_families (expires_at);

CREATE TABLE refresh_legacy_tokens (
    token_hash BLOB NOT NULL PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES refresh_families (family_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX refresh_legacy_tokens_family_id ON refresh_legacy_tokens (family_id);

INSERT INTO refresh_families (family_id, token_hash, client_id, user_id, scopes, session_id,
                              grant_info, issued_at, expires_at, revoked_at)
SELECT family_id, token_hash, client_id, user_id, scopes, session_id, grant_info, issued_at,
       expires_at, COALESCE(revoked_at, used_at)
FROM refresh_tokens AS t
WHERE t.id = (SELECT max(n.id) FROM refresh_tokens AS n WHERE n.family_id = t.family_id);

INSERT INTO refresh_legacy_tokens (token_hash, family_id)
SELECT token_hash, family_id FROM refresh_tokens;

DELETE FROM refresh_tokens;
