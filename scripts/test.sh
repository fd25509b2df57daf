#!/usr/bin/env bash
# Run every test: formatting, lints (native and wasm32), unit and snapshot tests, the CLI
# end-to-end tests, and the built site in headless Chromium. Installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh

step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }
start=$(date +%s)

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native: collector and tests)"
cargo clippy --all-targets -- -D warnings

step "clippy (wasm32: the shared library without its native part, and the app)"
cargo clippy -p lmscope --no-default-features --lib --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p lmscope-app --target wasm32-unknown-unknown -- -D warnings

step "build the site (trunk, release)"
trunk build --release

# One `cargo test` builds the lmscope binary too (the collector has integration tests), with
# the same feature set as clippy above, so DuckDB's C++ is compiled once for both.
step "cargo test (units, snapshots, CLI end to end, site in Chromium)"
INSTA_UPDATE=no cargo test --workspace --exclude lmscope-app

printf '\nall tests passed in %ss\n' "$(( $(date +%s) - start ))"
