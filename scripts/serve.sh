#!/usr/bin/env bash
# Build the site and serve it on the bundled demo data: http://127.0.0.1:8080/
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
cargo build --release -p lmscope
mkdir -p public/data
rm -f "$CARGO_TARGET_DIR/demo-store.duckdb" "$CARGO_TARGET_DIR/demo-store.duckdb.wal"
"$CARGO_TARGET_DIR/release/lmscope" --store "$CARGO_TARGET_DIR/demo-store.duckdb" demo --out public/data
exec trunk serve --release "$@"
