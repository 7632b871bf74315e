-- A client's default_acr_values (OpenID Connect Dynamic Client
-- Registration §2): an authorization request of the client that asks for
-- no acr is treated as asking for these. Empty for the clients registered
-- before.

ALTER TABLE clients ADD COLUMN default_acr_values text[] NOT NULL DEFAULT '{}';
