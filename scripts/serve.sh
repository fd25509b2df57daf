#!/usr/bin/env bash
# Build the site and serve it on the bundled demo data: http://127.0.0.1:8080/
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
# Build the collector exactly as scripts/test.sh does (same profile and feature set), so
# DuckDB's C++ (the longest compile) is built once per machine for both commands.
cargo test --workspace --exclude lmscope-app --no-run
store="$CARGO_TARGET_DIR/demo-store.duckdb"
rm -f "$store" "$store.wal"
rm -rf public/data
"$CARGO_TARGET_DIR/debug/lmscope" --store "$store" demo --out public/data
# No auto-reload: its injected inline script is refused by the site's content security policy.
exec trunk serve --release --no-autoreload "$@"
