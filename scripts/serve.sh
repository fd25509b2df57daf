#!/usr/bin/env bash
# Build the site and serve it on the bundled demo data: http://127.0.0.1:8080/ (PORT=... to change)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh --prebuild-app
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
# The site, built again only when its sources or the demo data changed.
bash scripts/build-site.sh
port="${PORT:-8080}"
echo "lmscope: the site is served at http://127.0.0.1:$port/ (Ctrl-C stops it)"
# A static server with HTTP Range support, as a real host: files as built, nothing cached (a
# new publish into public/data shows after scripts/build-site.sh). To rebuild on every change
# while working on the app: bash scripts/setup.sh --with-trunk once, then
# trunk serve --release --no-autoreload (its auto-reload script is refused by the site's
# content security policy).
exec http-server dist -a 127.0.0.1 -p "$port" -c-1 -s "$@"
