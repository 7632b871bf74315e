#!/usr/bin/env bash
# Creates deploy/secrets/ for compose.yaml: Pratu's four 32-byte keys, the
# PostgreSQL password (the same value in both places that need it), and an
# empty INFO app env file to fill after `client create`. Never overwrites:
# replacing pii_key or index_key loses every stored citizen ID.
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
umask 077
mkdir -p "$dir/tls"
if [ -e "$dir/pratu.env" ]; then
  echo "$dir/pratu.env exists; not touching it" >&2
  exit 1
fi
key() { openssl rand -base64 32; }
pg_password="$(openssl rand -hex 24)"
printf '%s\n' "$pg_password" >"$dir/postgres_password"
cat >"$dir/pratu.env" <<ENV
# Pratu secrets (deploy/README.md, "Secrets"). Back these up apart from the
# database backups: without pii_key and index_key the citizen IDs are lost.
PRATU_SECRETS__PII_KEY=$(key)
PRATU_SECRETS__INDEX_KEY=$(key)
PRATU_SECRETS__KEY_ENCRYPTION_KEY=$(key)
PRATU_SECRETS__SERVER_KEY=$(key)
# The database password, read by the PostgreSQL client library (the
# PRATU_DATABASE_URL in compose.yaml carries none).
PGPASSWORD=$pg_password
ENV
cat >"$dir/info.env" <<ENV
# From: docker compose -f deploy/compose.yaml run --rm pratu-a client create ...
AGENCY_DEMO_CLIENT_ID=
AGENCY_DEMO_CLIENT_SECRET=
ENV
# Mode 0600 throughout (umask): compose reads the env files itself, and
# PostgreSQL's entrypoint reads its password file as root before it drops
# privileges.
echo "wrote $dir (pratu.env, postgres_password, info.env); put tls.crt and tls.key in $dir/tls"
