#!/usr/bin/env bash
# Token verification under load, against the server's own ceiling measured in the same run.
# Starts the release server on a fresh SQLite database, seeds 10,000 tokens over 100 owners
# through the API, then loads over loopback with wrk:
#   (a) GET /healthz       the ceiling: no authentication, no database (the same token
#                          header is sent and ignored, so wrk does the same work)
#   (b) GET /api/v1/me     a different valid token on each request
# and prints requests/s, p50/p99 latency, the ratio (b)/(a) and the server's peak RSS. Then
#   (c) POST /api/v1/endpoints/bench-orders/records  with an endpoint (secondary) token
#                          assigned to the POST primary, for $RECORDS_DURATION
# and prints accepted records/s and p99; after a clean shutdown it counts the records and
# the logged calls in the database and fails unless every accepted record is there once.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${TESSERA_CACHE:-$HOME/.cache/tessera}/target}
DURATION=${DURATION:-20s}
RECORDS_DURATION=${RECORDS_DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
PORT=${PORT:-3900}
TOKENS=${TOKENS:-10000}
USERS=${USERS:-100}

command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -qq wrk; }
(cd "$ROOT" && cargo build --release -p tessera -q)
BIN="$CARGO_TARGET_DIR/release/tessera"

WORK=$(mktemp -d)
export DATABASE_URL="sqlite://$WORK/bench.db?mode=rwc"
export TESSERA_BOOTSTRAP_ADMIN_PASSWORD="bench-admin-password-2026"
export RUST_LOG=warn LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT="$ROOT/target/site"
ADMIN_TOKEN=$("$BIN" token create --user admin --name bench --scopes admin,profile:read)
"$BIN" serve 2>"$WORK/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

echo "seeding $USERS users and $TOKENS tokens through the API..."
SECONDS=0
python3 "$ROOT/bench/seed.py" 127.0.0.1 "$PORT" "$ADMIN_TOKEN" "$USERS" "$TOKENS" "$WORK/tokens.txt"

echo "seeded in ${SECONDS}s"

run() { # key, label, wrk arguments...
  local key=$1 label=$2; shift 2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" > "$WORK/$key.out"
  local rps p50 p99
  rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/$key.out")
  p50=$(awk '$1 == "50%" {print $2}' "$WORK/$key.out")
  p99=$(awk '$1 == "99%" {print $2}' "$WORK/$key.out")
  printf '%-22s %12s req/s   p50 %-9s p99 %-9s\n' "$label" "$rps" "$p50" "$p99"
  echo "$rps" > "$WORK/$key.rps"
}

export TOKENS_FILE="$WORK/tokens.txt"
# Warm-up, not measured: loads every seeded token into the verification cache once, as a
# running server would have done long before.
BENCH_PATH=/api/v1/me wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s "$ROOT/bench/me.lua" "http://127.0.0.1:$PORT" >/dev/null

echo "wrk: $THREADS threads, $CONNECTIONS connections, $DURATION each, loopback, $(nproc) cores"
BENCH_PATH=/healthz run healthz "(a) GET /healthz" -s "$ROOT/bench/me.lua" "http://127.0.0.1:$PORT"
BENCH_PATH=/api/v1/me run me "(b) GET /api/v1/me" -s "$ROOT/bench/me.lua" "http://127.0.0.1:$PORT"
# wrk reports refused requests this way; any would make the numbers meaningless.
if grep -h "Non-2xx" "$WORK"/*.out; then echo "some requests were refused" >&2; exit 1; fi
awk -v a="$(cat "$WORK/healthz.rps")" -v b="$(cat "$WORK/me.rps")" \
  'BEGIN { printf "ratio (b)/(a): %.0f%%\n", 100 * b / a }'
echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$SERVER/status)"

RECORDS_TOKEN=$(python3 "$ROOT/bench/records_setup.py" 127.0.0.1 "$PORT" "$ADMIN_TOKEN" bench-orders)
export RECORDS_TOKEN
BENCH_PATH=/api/v1/endpoints/bench-orders/records wrk -t"$THREADS" -c"$CONNECTIONS" \
  -d"$RECORDS_DURATION" --latency -s "$ROOT/bench/records.lua" "http://127.0.0.1:$PORT" > "$WORK/records.out"
accepted=$(awk '$1 == "accepted" {print $2}' "$WORK/records.out")
refused=$(awk '$1 == "refused" {print $2}' "$WORK/records.out")
seconds=${RECORDS_DURATION%s}
printf '%-22s %12s records/s accepted (%s in %ss, %s refused)   p50 %-9s p99 %s\n' \
  "(c) POST records" "$(awk -v a="$accepted" -v s="$seconds" 'BEGIN { printf "%.2f", a / s }')" \
  "$accepted" "$seconds" "$refused" \
  "$(awk '$1 == "50%" {print $2}' "$WORK/records.out")" "$(awk '$1 == "99%" {print $2}' "$WORK/records.out")"
echo "server peak RSS after (c): $(awk '/VmHWM/ {print $2, $3}' /proc/$SERVER/status)"

# A clean shutdown writes what the request log still holds; then the database must have every
# accepted record exactly once. wrk drops the answers of calls in flight when it stops, so up
# to one record per connection may be stored without having been counted.
kill -TERM $SERVER
wait $SERVER || true
read -r stored distinct < <(python3 "$ROOT/bench/count_records.py" "$WORK/bench.db")
logged=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM endpoint_requests WHERE status = 201").fetchone()[0])' "$WORK/bench.db")
echo "records in the database: $stored ($distinct distinct), calls logged with 201: $logged"
if [ "$refused" != 0 ] || [ "$distinct" != "$stored" ] || [ "$stored" -lt "$accepted" ] \
  || [ $((stored - accepted)) -gt "$CONNECTIONS" ] || [ "$logged" != "$stored" ]; then
  echo "records check failed" >&2; exit 1
fi
echo "every accepted record is in the database, once; every stored record's call is logged"
