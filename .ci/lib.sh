# Shared by .ci/serve and .ci/test: installs what is missing, idempotently, so both work on a
# fresh machine of this kind. Sourced, not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Outside the clone, so that a fresh clone reuses earlier builds.
CACHE=${TESSERA_CACHE:-$HOME/.cache/tessera}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$CACHE/target}
# A clean clone builds every run from scratch anyway; incremental state per clone path only
# fills the disk (tens of GB after a few runs).
if [ "${CI:-}" = "true" ]; then export CARGO_INCREMENTAL=0; fi
export PATH="$HOME/.cargo/bin:$PATH"
# RUSTFLAGS would replace .cargo/config.toml's flags, which the server and the WebAssembly
# must share (erase_components shapes the hydration markers).
unset RUSTFLAGS
# cargo-leptos writes the bundle's content hashes here, where the server looks (src/assets.rs).
export LEPTOS_HASH_FILE_NAME="$ROOT/target/site/hash.txt"
WASM_BINDGEN_VERSION=0.2.130
CARGO_LEPTOS_VERSION=0.3.10
BINARYEN_VERSION=132.0.0

step() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  step "apt-get install $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

ensure_rust_tools() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || { step "adding the wasm32 target"; rustup target add wasm32-unknown-unknown; }
  # cargo-leptos runs the wasm-bindgen it finds on PATH; it must match the crate exactly.
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes, once)"
    cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
  fi
  if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
    step "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 14 minutes, once)"
    cargo install "cargo-leptos@$CARGO_LEPTOS_VERSION" --locked --force
  fi
}

# Release builds run wasm-opt; Debian's binaryen breaks hydration, npm's does not.
ensure_wasm_opt() {
  local dir="$CACHE/binaryen-$BINARYEN_VERSION"
  if [ ! -x "$dir/node_modules/.bin/wasm-opt" ]; then
    step "installing binaryen $BINARYEN_VERSION from npm (wasm-opt)"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
}

ensure_postgres() {
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    step "starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432
}

ensure_brotli() {
  command -v brotli >/dev/null || apt_install brotli
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
}

ensure_npm_packages() {
  # Playwright drives Debian's Chromium; its own browser download fails here and is not needed.
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  (cd "$ROOT/end2end" && npm ci --no-audit --no-fund --silent)
}
