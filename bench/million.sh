#!/usr/bin/env bash
# A million tokens over 10,000 users, seeded straight into the database, then the token
# list's costs as the server answers them (bench/million.py).
#   DATABASE_URL  SQLite file by default; a PostgreSQL URL (an empty database) when given
#   TOKENS, USERS default 1,000,000 and 10,000;  BIN the server binary (default: release)
source "$(dirname "$0")/lib.sh"
TOKENS=${TOKENS:-1000000}
USERS=${USERS:-10000}
PORT=${PORT:-3930}
WORK=$(mktemp -d)
export DATABASE_URL=${DATABASE_URL:-"sqlite://$WORK/million.db?mode=rwc"}
export TESSERA_BOOTSTRAP_ADMIN_PASSWORD="million-admin-password-2026"
export RUST_LOG=warn LEPTOS_SITE_ROOT="$ROOT/target/site"
SERVER=""
trap 'stop_servers $SERVER; rm -rf "$WORK"' EXIT
ADMIN_TOKEN=$("$BIN" token create --user admin --name million --scopes admin)
echo "seeding $TOKENS tokens over $USERS users into ${DATABASE_URL%%:*}..."
SECONDS=0
python3 "$ROOT/bench/million.py" seed "$DATABASE_URL" "$TOKENS" "$USERS" "$WORK/secrets.txt"
echo "seeded in ${SECONDS}s"
start_server "$PORT" "$WORK/server.log"
SERVER=$STARTED
python3 "$ROOT/bench/million.py" measure "http://127.0.0.1:$PORT" "$ADMIN_TOKEN" "$TESSERA_BOOTSTRAP_ADMIN_PASSWORD" "$WORK/secrets.txt"
