#!/usr/bin/env bash
# Build the site and serve it on the bundled demo data: http://127.0.0.1:8080/ (PORT=... to change)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# The tools, with the site's wasm and the collector compiling beside them.
bash scripts/setup.sh --prebuild-app --prebuild-collector
# The collector alone, with the features scripts/test.sh uses (DuckDB linked, not compiled);
# built by setup.sh, so this only checks it is up to date.
cargo build "${LMSCOPE_FEATURES[@]}" --bins
# The site (built again only when its sources changed) while the demo is made.
site_log="${TMPDIR:-/tmp}/lmscope-serve-site.log"
bash scripts/build-site.sh --skip-data > "$site_log" 2>&1 &
site_pid=$!
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
wait "$site_pid" || { cat "$site_log" >&2; echo "lmscope: building the site failed (log above)" >&2; exit 1; }
cat "$site_log"
# The demo data into the site.
bash scripts/build-site.sh
port="${PORT:-8080}"
echo "lmscope: the site is served at http://127.0.0.1:$port/ (Ctrl-C stops it)"
# A static server with HTTP Range support, as a real host: files as built, nothing cached (a
# new publish into public/data shows after scripts/build-site.sh). To rebuild on every change
# while working on the app: bash scripts/setup.sh --with-trunk once, then
# trunk serve --release --no-autoreload (its auto-reload script is refused by the site's
# content security policy).
exec http-server dist -a 127.0.0.1 -p "$port" -c-1 -s "$@"
