#!/usr/bin/env bash
# Install everything lmscope needs to build, serve and test, skipping what is already
# there at the right version. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # = the wasm-bindgen crate in Cargo.lock
TRUNK_VERSION=0.21.14

log() { printf '\033[1;34msetup:\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (several minutes, once)"
  # Its lock file pins webpki-roots 1.0.11, which the registry here does not serve;
  # fall back to a fresh resolution of the same version when --locked fails.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked \
    || cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (10-18 minutes, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked \
    || cargo install trunk --version "$TRUNK_VERSION" --force
fi

if [ "${LMSCOPE_NO_BROWSER:-0}" != 1 ] && ! command -v chromium >/dev/null; then
  log "installing Debian's chromium for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# npm ci only when package-lock.json changed since the last install.
stamp=node_modules/.lmscope-lock.sha256
want=$(sha256sum package-lock.json | awk '{print $1}')
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
