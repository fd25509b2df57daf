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

# `cargo test` also builds the lmscope binary the end-to-end tests run (the collector has
# integration tests). No separate `cargo build`: it would resolve features differently and
# compile DuckDB's C++ once more.
step "cargo test (units, snapshots, CLI end to end, site in Chromium)"
log=$(mktemp)
set +e
INSTA_UPDATE=no cargo test --workspace --exclude lmscope-app 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

printf '\ntests finished in %ss\n' "$(( $(date +%s) - start ))"
# The total over every test binary, as one closing line.
awk '/^test result:/ { for (i = 2; i <= NF; i++) { if ($i ~ /^passed;/) p += $(i-1); if ($i ~ /^failed;/) f += $(i-1) } }
     END { printf "summary: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit "$status"
