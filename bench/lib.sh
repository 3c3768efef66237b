# Shared by the benchmark scripts; sourced. Builds (or takes $BIN) and starts servers.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${TESSERA_CACHE:-$HOME/.cache/tessera}/target}
if [ -z "${BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release -p tessera -q)
  BIN="$CARGO_TARGET_DIR/release/tessera"
fi

# Starts `tessera serve` on 127.0.0.1:$1 with stderr to $2 and waits until it is ready;
# sets STARTED to its pid. Fails, showing the log, when it does not become ready.
start_server() {
  LEPTOS_SITE_ADDR="127.0.0.1:$1" "$BIN" serve 2>>"$2" &
  STARTED=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0
    kill -0 "$STARTED" 2>/dev/null || break
    sleep 0.1
  done
  echo "the server on port $1 did not start" >&2
  cat "$2" >&2
  return 1
}

# Stops servers with SIGTERM and waits for them, at most 60 s (a clean shutdown writes what
# is pending); fails if one does not stop.
stop_servers() {
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  timeout 60 bash -c 'while kill -0 "$@" 2>/dev/null; do sleep 0.1; done' _ "$@" || {
    echo "a server did not stop within 60 s" >&2
    return 1
  }
}

ensure_wrk() {
  command -v wrk >/dev/null && return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk
}
