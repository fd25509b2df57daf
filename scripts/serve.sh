#!/usr/bin/env bash
# Build the site and serve it on the bundled demo data: http://127.0.0.1:8080/
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
# The collector alone, with the features scripts/test.sh uses (DuckDB linked, not compiled).
cargo build "${LMSCOPE_FEATURES[@]}" --bins
# The demo year, published again only when the collector changed since it was written.
bin="$CARGO_TARGET_DIR/debug/lmscope"
if [ ! -f public/data/manifest.json ] || [ "$bin" -nt public/data/manifest.json ]; then
  store="$CARGO_TARGET_DIR/demo-store.duckdb"
  rm -f "$store" "$store.wal"
  rm -rf public/data
  "$bin" --store "$store" demo --out public/data
else
  echo "lmscope: reusing the demo in public/data (the collector has not changed since)"
fi
echo "lmscope: Trunk builds the site, then serves it at http://127.0.0.1:8080/"
# No auto-reload: its injected inline script is refused by the site's content security policy.
exec trunk serve --release --no-autoreload "$@"
