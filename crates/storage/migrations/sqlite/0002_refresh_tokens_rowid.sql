-- Refresh tokens move from a WITHOUT ROWID table keyed by the (random)
-- token hash to a rowid table with a unique index on the hash.
--
-- Why: rotation is the hot write path, and what a SQLite write costs is the
-- pages it dirties (each goes to the WAL, then to the database file). Keyed
-- by a random hash, every rotation dirtied two random leaves of the table
-- (the old token's, the new one's) and one of the client index. With rowids,
-- new rows append to the last page, the old token's row (inserted one
-- rotation ago) sits near it, and the client index appends too: rotations
-- committed together share those pages. Only the hash, family, session and
-- user indexes still take a page each.

CREATE TABLE refresh_tokens_v2 (
    id         INTEGER NOT NULL PRIMARY KEY,
    token_hash BLOB    NOT NULL UNIQUE,
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
) STRICT;

INSERT INTO refresh_tokens_v2 (token_hash, family_id, client_id, user_id, scopes, session_id,
                               grant_info, issued_at, expires_at, used_at, revoked_at)
SELECT token_hash, family_id, client_id, user_id, scopes, session_id, grant_info, issued_at,
       expires_at, used_at, revoked_at
FROM refresh_tokens
ORDER BY issued_at;

DROP TABLE refresh_tokens;
ALTER TABLE refresh_tokens_v2 RENAME TO refresh_tokens;

CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX refresh_tokens_client_id ON refresh_tokens (client_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
