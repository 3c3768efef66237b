#!/usr/bin/env bash
# Token verification and endpoint records under load, against the server's own ceiling
# measured in the same run. Starts the server on a fresh database, seeds $TOKENS tokens over
# $USERS owners through the API, then loads over loopback with wrk:
#   (a) GET /healthz       the ceiling: no authentication, no database (the same token
#                          header is sent and ignored, so wrk does the same work)
#   (b) GET /api/v1/me     a different valid token on each request
#   (b') the same, every token with an allowlist and a rate limit of its own
# and prints requests/s, p50/p99 latency, the ratio (b)/(a) and the server's peak RSS. Then
#   (c) POST /api/v1/endpoints/bench-orders/records  with an endpoint (secondary) token
#                          assigned to the POST primary, for $RECORDS_DURATION at each of
#                          $RECORDS_CONNECTIONS connections
# and prints accepted records/s and p99; after a clean shutdown it counts the records and
# the logged calls in the database and fails unless every accepted record is there once,
# with its logged call.
#   DATABASE_URL  SQLite file by default; a PostgreSQL URL (an empty database) when given
#   INSTANCES=2   two servers on that one database (PostgreSQL), wrk spread over both
#   BIN           the server binary (default: a release build of this tree)
source "$(dirname "$0")/lib.sh"
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
RECORDS_DURATION=${RECORDS_DURATION:-30s}
# Rounds of (a) and (b); the ratio is of their medians.
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
RECORDS_CONNECTIONS=${RECORDS_CONNECTIONS:-16 64}
THREADS=${THREADS:-2}
PORT=${PORT:-3900}
TOKENS=${TOKENS:-10000}
USERS=${USERS:-100}
INSTANCES=${INSTANCES:-1}

ensure_wrk

WORK=$(mktemp -d)
export DATABASE_URL=${DATABASE_URL:-"sqlite://$WORK/bench.db?mode=rwc"}
case "$DATABASE_URL" in
  sqlite:*) [ "$INSTANCES" = 1 ] || { echo "INSTANCES=$INSTANCES needs a PostgreSQL DATABASE_URL" >&2; exit 1; } ;;
esac
export TESSERA_BOOTSTRAP_ADMIN_PASSWORD="bench-admin-password-2026"
export RUST_LOG=warn LEPTOS_SITE_ROOT="$ROOT/target/site"
ADMIN_TOKEN=$("$BIN" token create --user admin --name bench --scopes admin,profile:read)
SERVERS=()
PORTS=()
trap 'stop_servers "${SERVERS[@]}"; rm -rf "$WORK"' EXIT
for i in $(seq 0 $((INSTANCES - 1))); do
  port=$((PORT + i))
  start_server "$port" "$WORK/server-$i.log"
  SERVERS+=("$STARTED")
  PORTS+=("$port")
done
echo "database: ${DATABASE_URL%%:*}, instances: $INSTANCES"

echo "seeding $USERS users and $TOKENS tokens through the API..."
SECONDS=0
python3 "$ROOT/bench/seed.py" 127.0.0.1 "$PORT" "$ADMIN_TOKEN" "$USERS" "$TOKENS" "$WORK/tokens.txt"
echo "seeded in ${SECONDS}s"

# wrk over every instance at once, the connections shared out; prints nothing, leaves one
# output file per instance: $WORK/<key>-<i>.out
spread() { # key, connections, duration, script
  local key=$1 connections=$2 duration=$3 script=$4 pids=() i
  for i in "${!PORTS[@]}"; do
    WRK_INSTANCE=$i wrk -t"$THREADS" -c$((connections / INSTANCES)) -d"$duration" --latency -s "$script" \
      "http://127.0.0.1:${PORTS[$i]}" > "$WORK/$key-$i.out" &
    pids+=($!)
  done
  wait "${pids[@]}"
}
# Sums requests/s and takes the worst p50 and p99 over the instances' outputs.
summary() { # key → "rps p50 p99" (latencies in ms)
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^Requests\/sec/ { rps += $2 }
    $1 == "50%" { v = ms($2); if (v > p50) p50 = v }
    $1 == "99%" { v = ms($2); if (v > p99) p99 = v }
    END { printf "%.0f %.2f %.2f\n", rps, p50, p99 }' "$WORK/$1"-*.out
}
run() { # key, label
  spread "$1" "$CONNECTIONS" "$DURATION" "$ROOT/bench/me.lua"
  read -r rps p50 p99 < <(summary "$1")
  printf '%-22s %12s req/s   p50 %6s ms   p99 %6s ms\n' "$2" "$rps" "$p50" "$p99"
  echo "$rps" > "$WORK/$1.rps"
}
peak_rss() {
  local pid
  for pid in "${SERVERS[@]}"; do awk '/VmHWM/ {printf "%s %s ", $2, $3}' "/proc/$pid/status"; done
}

export TOKENS_FILE="$WORK/tokens.txt"
# Warm-up, not measured: loads every seeded token into each instance's verification cache
# once, as a running server would have done long before.
BENCH_PATH=/api/v1/me spread warm "$CONNECTIONS" "$WARMUP" "$ROOT/bench/me.lua"

echo "wrk: $THREADS threads and $CONNECTIONS connections in all, $DURATION each, loopback, $(nproc) cores"
# Alternating rounds, so that a passing disturbance falls on both; the ratio is of medians.
for round in $(seq "$ROUNDS"); do
  BENCH_PATH=/healthz run "healthz$round" "(a) GET /healthz #$round"
  BENCH_PATH=/api/v1/me run "me$round" "(b) GET /api/v1/me #$round"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cat "$WORK"/healthz[0-9]*.rps | median > "$WORK/healthz.rps"
cat "$WORK"/me[0-9]*.rps | median > "$WORK/me.rps"
# wrk reports refused requests this way; any would make the numbers meaningless.
if grep -h "Non-2xx" "$WORK"/*.out; then echo "some requests were refused" >&2; exit 1; fi
awk -v a="$(cat "$WORK/healthz.rps")" -v b="$(cat "$WORK/me.rps")" \
  'BEGIN { printf "medians of %d rounds: (a) %.0f req/s, (b) %.0f req/s; ratio (b)/(a): %.0f%%\n", '"$ROUNDS"', a, b, 100 * b / a }'
echo "server peak RSS: $(peak_rss)"

# The same load with every token under an allowlist (loopback) and a rate limit of its own
# (far above the load, so every call is counted and none refused): what the controls cost.
python3 "$ROOT/bench/controls.py" "$DATABASE_URL"
BENCH_PATH=/api/v1/me spread warm-controls "$CONNECTIONS" "$WARMUP" "$ROOT/bench/me.lua"
BENCH_PATH=/api/v1/me run controls "(b') me, IP+rate limit"
if grep -h "Non-2xx" "$WORK"/*.out; then echo "some requests were refused" >&2; exit 1; fi
awk -v b="$(cat "$WORK/me.rps")" -v c="$(cat "$WORK/controls.rps")" \
  'BEGIN { printf "ratio (b\x27)/(b): %.1f%% (the controls cost %.1f%%)\n", 100 * c / b, 100 - 100 * c / b }'

RECORDS_TOKEN=$(python3 "$ROOT/bench/records_setup.py" 127.0.0.1 "$PORT" "$ADMIN_TOKEN" bench-orders)
export RECORDS_TOKEN BENCH_PATH=/api/v1/endpoints/bench-orders/records
accepted=0
for connections in $RECORDS_CONNECTIONS; do
  BENCH_RUN=$connections spread "records$connections" "$connections" "$RECORDS_DURATION" "$ROOT/bench/records.lua"
  read -r rps p50 p99 < <(summary "records$connections")
  got=$(cat "$WORK/records$connections"-*.out | awk '$1 == "accepted" {a += $2} END {print a + 0}')
  refused=$(cat "$WORK/records$connections"-*.out | awk '$1 == "refused" {r += $2} END {print r + 0}')
  accepted=$((accepted + got))
  printf '%-22s %12s records/s accepted (%s, %s refused)   p50 %6s ms   p99 %6s ms\n' \
    "(c) POST records, $connections c" "$rps" "$got" "$refused" "$p50" "$p99"
  [ "$refused" = 0 ] || { echo "records were refused" >&2; exit 1; }
done
echo "server peak RSS after (c): $(peak_rss)"

# A clean shutdown writes what the request log still holds; then the database must have every
# accepted record exactly once, each with its logged call. wrk drops the answers of calls in
# flight when it stops, so up to one record per connection may be stored without having been
# counted.
stop_servers "${SERVERS[@]}"
SERVERS=()
read -r stored distinct logged < <(python3 "$ROOT/bench/count_records.py" "$DATABASE_URL")
echo "records in the database: $stored ($distinct distinct), calls logged with 201: $logged"
slack=0
for connections in $RECORDS_CONNECTIONS; do slack=$((slack + connections)); done
if [ "$distinct" != "$stored" ] || [ "$stored" -lt "$accepted" ] \
  || [ $((stored - accepted)) -gt "$slack" ] || [ "$logged" != "$stored" ]; then
  echo "records check failed" >&2; exit 1
fi
echo "every accepted record is in the database, once; every stored record's call is logged"
