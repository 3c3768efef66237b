#!/usr/bin/env bash
# Crash test for endpoint records: loads POST records, kills the server with SIGKILL once
# $KILL_AFTER records were acknowledged, restarts it on the same database, and checks that
# every record answered 201 is stored exactly once, under its id, with its logged call.
#   DATABASE_URL  the database (a fresh SQLite file by default; a PostgreSQL URL is used as is,
#                 so give it an empty database)
#   BIN           the server binary (default: a release build of this tree)
#   KILL_AFTER    acknowledged records before the kill (default 20000)
#   CONNECTIONS   parallel callers (default 16)
source "$(dirname "$0")/lib.sh"
KILL_AFTER=${KILL_AFTER:-20000}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-3910}
WORK=$(mktemp -d)
export DATABASE_URL=${DATABASE_URL:-"sqlite://$WORK/crash.db?mode=rwc"}
export TESSERA_BOOTSTRAP_ADMIN_PASSWORD="crash-admin-password-2026"
export RUST_LOG=warn LEPTOS_SITE_ROOT="$ROOT/target/site"
SERVER=""
LOAD=""
trap '[ -z "$SERVER$LOAD" ] || kill -9 $SERVER $LOAD 2>/dev/null || true; rm -rf "$WORK"' EXIT
start() {
  start_server "$PORT" "$WORK/server.log"
  SERVER=$STARTED
}

ADMIN_TOKEN=$("$BIN" token create --user admin --name crash --scopes admin)
start
RECORDS_TOKEN=$(python3 "$ROOT/bench/records_setup.py" 127.0.0.1 "$PORT" "$ADMIN_TOKEN" crash-orders)
python3 "$ROOT/bench/crash_load.py" 127.0.0.1 "$PORT" "$RECORDS_TOKEN" crash-orders "$WORK/acked.txt" "$CONNECTIONS" &
LOAD=$!
touch "$WORK/acked.txt"
while [ "$(wc -l < "$WORK/acked.txt")" -lt "$KILL_AFTER" ]; do
  kill -0 $LOAD 2>/dev/null || { echo "the load stopped before the kill" >&2; exit 1; }
  sleep 0.05
done
kill -9 $SERVER
wait $SERVER 2>/dev/null || true
echo "killed the server (SIGKILL) after $(wc -l < "$WORK/acked.txt") acknowledged records"
wait $LOAD
LOAD=""
# The restarted server must come up on what the killed one left, then stop cleanly.
start
stop_servers $SERVER
SERVER=""
python3 "$ROOT/bench/crash_check.py" "$DATABASE_URL" "$WORK/acked.txt"
