#!/usr/bin/env bash
# Time from navigation to the first feature table in headless Chromium, with a fresh
# profile (cold cache) each run, on the demo data. Needs a built dist/ and the collector
# (scripts/test.sh builds both). Prints each run and the median, in milliseconds.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
runs="${1:-5}"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r dist "$work/site"
rm -rf "$work/site/data"
"$CARGO_TARGET_DIR/debug/lmscope" --store "$work/store.duckdb" demo --out "$work/site/data" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
http-server "$work/site" -a 127.0.0.1 -p "$port" -c-1 -s &
server=$!
sleep 1
for i in $(seq "$runs"); do
  node tests/browser/site.mjs "http://127.0.0.1:$port/index.html" "" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const t=JSON.parse(s).timing;console.log([t.firstTable,t.engineReady,t.dataAttached].map(Math.round).join(" "))})'
done | tee "$work/times" | awk '{print "run: first table " $1 " ms (engine ready " $2 " ms, data attached " $3 " ms)"}'
sort -n "$work/times" | awk '{a[NR]=$1} END {print "median first table: " a[int((NR+1)/2)] " ms over " NR " runs"}'
