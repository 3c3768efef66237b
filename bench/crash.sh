#!/usr/bin/env bash
# Crash test for endpoint records: loads POST records, kills the server with SIGKILL once
# $KILL_AFTER records were acknowledged, restarts it on the same database, and checks that
# every record answered 201 is stored exactly once, under its id, with its logged call.
#   DATABASE_URL  the database (a fresh SQLite file by default; a PostgreSQL URL is used as is,
#                 so give it an empty database)
#   BIN           the server binary (default: a release build of this tree)
#   KILL_AFTER    acknowledged records before the kill (default 20000)
#   CONNECTIONS   parallel callers (default 16)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${TESSERA_CACHE:-$HOME/.cache/tessera}/target}
KILL_AFTER=${KILL_AFTER:-20000}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-3910}
if [ -z "${BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release -p tessera -q)
  BIN="$CARGO_TARGET_DIR/release/tessera"
fi

WORK=$(mktemp -d)
export DATABASE_URL=${DATABASE_URL:-"sqlite://$WORK/crash.db?mode=rwc"}
export TESSERA_BOOTSTRAP_ADMIN_PASSWORD="crash-admin-password-2026"
export RUST_LOG=warn LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT="$ROOT/target/site"
SERVER=""
trap '[ -n "$SERVER" ] && kill -9 $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT

start() {
  "$BIN" serve 2>>"$WORK/server.log" &
  SERVER=$!
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return; sleep 0.1; done
  echo "the server did not start" >&2; cat "$WORK/server.log" >&2; exit 1
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
# The restarted server must come up on what the killed one left, then stop cleanly.
start
kill -TERM $SERVER
wait $SERVER
SERVER=""
python3 "$ROOT/bench/crash_check.py" "$DATABASE_URL" "$WORK/acked.txt"
