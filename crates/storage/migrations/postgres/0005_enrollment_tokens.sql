-- The enrollment token (DESIGN.md "Enrollment"): the start of an enrollment
-- answers a random token, and every later step must present it; the id
-- alone (seen in URLs and request logs) continues nothing. Only its SHA-256
-- digest is kept. Enrollments started before this migration get an empty
-- digest, which no token fits: they cannot be continued and expire as usual.

ALTER TABLE enrollments ADD COLUMN token_hash bytea NOT NULL DEFAULT '\x'::bytea;
