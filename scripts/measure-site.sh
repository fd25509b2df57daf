#!/usr/bin/env bash
# Site speed on the large demo (50 servers, 500 features, 3,000 users, a year of one-minute
# polls): median time from navigation to the overview's first feature table with a fresh
# browser profile (cold) and with the site and DuckDB-Wasm cached (warm),
# and median re-render time after a filter change, in headless Chromium (performance marks;
# tests/browser/perf.mjs). Builds the collector in release mode the first time (DuckDB's C++
# takes a while; LMSCOPE_BIN=path uses a collector already built, e.g. the debug one the tests
# build: the site's figures do not depend on how the collector was compiled; LMSCOPE_DATA=dir
# serves a large demo published before instead of making one).
# Usage: scripts/measure-site.sh [LOADS] [CHANGES] [PAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh >/dev/null
bash scripts/build-site.sh >/dev/null 2>&1
work=$(mktemp -d)
trap 'kill ${server:-} 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r dist "$work/site"
rm -rf "$work/site/data"
if [ -n "${LMSCOPE_DATA:-}" ]; then
  ln -s "$(realpath "$LMSCOPE_DATA")" "$work/site/data"
else
  if [ -z "${LMSCOPE_BIN:-}" ]; then
    cargo build --release -p lmscope --bin lmscope
    LMSCOPE_BIN="$CARGO_TARGET_DIR/release/lmscope"
  fi
  "$LMSCOPE_BIN" --store "$work/store.duckdb" demo --size large --out "$work/site/data"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
http-server "$work/site" -a 127.0.0.1 -p "$port" -c-1 -s &
server=$!
sleep 1
node tests/browser/perf.mjs "http://127.0.0.1:$port/index.html" "${1:-5}" "${2:-12}" "${3:-}" \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);
      const ms = (xs) => xs.map(Math.round).join(" ");
      console.log("cold first view, fresh profile (ms): " + ms(r.coldFirstView) + "; median " + r.medianColdFirstViewMs);
      console.log("warm first view, cached site (ms): " + ms(r.firstView) + "; median " + r.medianFirstViewMs);
      for (const [name, p] of Object.entries(r.pages)) {
        console.log(name + " page, filter change (ms): " + p.filterChange.join(" ") + "; median " + p.medianFilterChangeMs);
        console.log("  of which DuckDB-Wasm busy (ms): " + p.queryMs.join(" "));
        console.log("  median by preset (ms): " + Object.entries(p.medianByPresetMs).map(([k, v]) => k + " " + v).join(", "));
      }
      console.log("filter change, all pages: median " + r.medianFilterChangeMs + " ms over " + r.filterChange.length + " changes");
      console.log("  median by preset, all pages (ms): " + Object.entries(r.medianByPresetMs).map(([k, v]) => k + " " + v).join(", "));
      if (r.errors.length) console.log("page errors: " + r.errors.join("; "));})'
