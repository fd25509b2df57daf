#!/usr/bin/env bash
# Site speed on the large demo (50 servers, 500 features, 3,000 users, a year of one-minute
# polls): median first meaningful view of the overview with the site and DuckDB-Wasm cached,
# and median re-render time after a filter change, in headless Chromium (performance marks;
# tests/browser/perf.mjs). Builds the collector in release mode the first time (DuckDB's C++
# takes a while). Usage: scripts/measure-site.sh [LOADS] [CHANGES]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh >/dev/null
trunk build --release >/dev/null 2>&1
cargo build --release -p lmscope --bin lmscope
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r dist "$work/site"
rm -rf "$work/site/data"
"$CARGO_TARGET_DIR/release/lmscope" --store "$work/store.duckdb" demo --size large \
  --out "$work/site/data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
http-server "$work/site" -a 127.0.0.1 -p "$port" -c-1 -s &
server=$!
sleep 1
node tests/browser/perf.mjs "http://127.0.0.1:$port/index.html" "${1:-5}" "${2:-12}" \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);
      console.log("first view (ms): " + r.firstView.map(Math.round).join(" ") + "; median " + r.medianFirstViewMs);
      console.log("filter change (ms): " + r.filterChange.map(Math.round).join(" ") + "; median " + r.medianFilterChangeMs);
      if (r.errors.length) console.log("page errors: " + r.errors.join("; "));})'
