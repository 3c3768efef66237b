#!/usr/bin/env bash
# The first page a visitor loads: serves the built site (target/site, as `.ci/serve` builds
# it) from the release server on a fresh database, prints the raw, gzip and brotli sizes of
# the main .wasm and of the pieces the console pages were split into, then visits /login and
# /admin/tokens in Chromium with an empty cache, over loopback and on Lighthouse's mobile
# network (bench/first_load.mjs): bytes moved and time to interactive, and the same for the
# next visit.
#   BIN   the server binary (default: a release build of this tree)
source "$(dirname "$0")/lib.sh"
PORT=${PORT:-3920}
# The bundle the site names (old hashed files may lie beside it).
hash_of() { awk -v key="$1:" '$1 == key {print $2}' "$ROOT/target/site/hash.txt"; }
wasm="$ROOT/target/site/pkg/tessera.$(hash_of wasm).wasm"
for file in "$wasm" "$wasm.gz" "$wasm.br"; do
  [ -f "$file" ] && printf '%-50s %9d bytes\n' "$(basename "$file")" "$(stat -c %s "$file")"
done
# The pieces the console pages were split into (cargo leptos build --split), loaded per route.
manifest="$ROOT/target/site/pkg/__wasm_split_manifest.$(hash_of manifest).json"
if [ -f "$manifest" ]; then
  python3 - "$manifest" <<'PY'
import json, os, sys
pkg = os.path.dirname(sys.argv[1])
groups = json.load(open(sys.argv[1]))
# A variant the build did not compress counts 0.
def size(piece, ext):
    path = os.path.join(pkg, f"{piece}.wasm{ext}")
    return os.path.getsize(path) if os.path.exists(path) else 0
def line(label, pieces):
    raw, gz, br = (sum(size(m, ext) for m in pieces) for ext in ("", ".gz", ".br"))
    print(f"{label:<20} {len(pieces)} pieces: raw {raw}, gzip {gz}, brotli {br} bytes")
# What each group of pages needs beyond the main bundle (a shared piece counts in each).
for name, pieces in sorted(groups.items()):
    line(name.rsplit("_", 1)[0], pieces)
line("all pieces", sorted({m for pieces in groups.values() for m in pieces}))
PY
fi

WORK=$(mktemp -d)
export DATABASE_URL="sqlite://$WORK/first-load.db?mode=rwc"
export TESSERA_BOOTSTRAP_ADMIN_PASSWORD="first-load-admin-password-2026"
export RUST_LOG=warn LEPTOS_SITE_ROOT="$ROOT/target/site"
SERVER=""
trap 'stop_servers $SERVER; rm -rf "$WORK"' EXIT
start_server "$PORT" "$WORK/server.log"
SERVER=$STARTED
node "$ROOT/bench/first_load.mjs" "http://127.0.0.1:$PORT" "$TESSERA_BOOTSTRAP_ADMIN_PASSWORD"
