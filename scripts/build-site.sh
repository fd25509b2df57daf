#!/usr/bin/env bash
# Build the site into dist/ (scripts/build-site.mjs: what `trunk build --release` builds,
# without Trunk), unless dist/ was built from exactly these inputs: the app and the library it
# shares with the collector, the page and its style, the lock files and the build's own
# configuration (wasm-bindgen and wasm-opt take about a minute on 2 cores even when cargo has
# nothing to do). Then copy the published data of public/data into dist/data, unless
# --skip-data (serve.sh builds the site while the demo is being published).
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'echo "build-site.sh: failed at line $LINENO" >&2' ERR

skip_data=0
[ "${1:-}" = "--skip-data" ] && skip_data=1

stamp=dist/.lmscope-inputs.sha256
inputs() {
  # Every file under these paths that git would track (ignored build output left out).
  git ls-files -co --exclude-standard -- app collector/src collector/Cargo.toml public \
      Cargo.toml Cargo.lock Trunk.toml package-lock.json scripts/vendor-duckdb.mjs scripts/build-site.mjs \
    | LC_ALL=C sort -u | while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done \
    | xargs -d '\n' sha256sum | sha256sum | awk '{print $1}'
}
want=$(inputs)
if [ -f dist/index.html ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "lmscope: dist/ is up to date with its sources (site build skipped)"
else
  node scripts/build-site.mjs
  echo "$want" > "$stamp"
fi

# The data: copied aside, then swapped in, so a server never shows half of it.
if [ "$skip_data" = 0 ]; then
  rm -rf dist/.data.tmp dist/.data.old
  if [ -d public/data ]; then
    cp -r public/data dist/.data.tmp
    [ -d dist/data ] && mv dist/data dist/.data.old
    mv dist/.data.tmp dist/data
    rm -rf dist/.data.old
  else
    rm -rf dist/data
  fi
fi
