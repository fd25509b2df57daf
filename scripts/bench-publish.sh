#!/usr/bin/env bash
# Publishing cost with monthly partitions, on the large demo (50 servers, 500 features,
# 3,000 users, a year of one-minute polls) with the release collector:
#   1. the first publish (every month written),
#   2. a publish after one more poll (only the current file, its snapshot and the manifest),
#   3. a publish with nothing new.
# For each: wall time, peak RSS, and the bytes of the files it wrote (new or rewritten).
# Usage: scripts/bench-publish.sh [WORK_DIR]   (LMSCOPE_BIN=path uses a collector already built;
# LMSCOPE_WEEKS=260 synthesizes five years instead of one)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
work=${1:-$(mktemp -d)}
mkdir -p "$work"
if [ -z "${LMSCOPE_BIN:-}" ]; then
  cargo build --release -p lmscope --no-default-features --features native --bin lmscope >&2
  LMSCOPE_BIN="$CARGO_TARGET_DIR/release/lmscope"
fi
store="$work/store.duckdb"
out="$work/data"

# Files in $out with their size and modification time, one per line.
listing() { find "$out" -maxdepth 1 -type f -printf '%f %s %T@\n' | sort; }
# Bytes of the files that are new or changed between two listings.
written() { comm -13 "$1" "$2" | awk '{ s += $2 } END { printf "%.1f MB in %d files", s / 1e6, NR }'; }
timed() {
  local label=$1; shift
  local before after
  before=$(mktemp); after=$(mktemp)
  [ -d "$out" ] && listing > "$before"
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out.log" 2>&1 \
    || { cat "$work/out.log" >&2; exit 1; }
  listing > "$after"
  read -r secs kb < "$work/time"
  printf '%-34s %6.2f s  peak RSS %5d MB  wrote %s\n' "$label" "$secs" $((kb / 1024)) "$(written "$before" "$after")"
  rm -f "$before" "$after"
}

if [ ! -f "$store" ]; then
  echo "synthesizing the large demo into $store (a few minutes)" >&2
  "$LMSCOPE_BIN" --store "$store" demo --size large --weeks "${LMSCOPE_WEEKS:-52}" --out "$out" >&2
fi
rm -rf "$out"
timed "publish, first (every month)" "$LMSCOPE_BIN" --store "$store" publish --out "$out" --poll-interval 60
# One more poll: a recorded lmstat output, stamped one minute after the newest poll.
last=$(python3 -c "import json,sys; print(json.load(open('$out/manifest.json'))['data_as_of'])")
next=$(python3 -c "import datetime as d; t=d.datetime.strptime('$last','%Y-%m-%dT%H:%M:%SZ')+d.timedelta(minutes=1); print(t.strftime('%Y-%m-%dT%H:%M'))")
"$LMSCOPE_BIN" --store "$store" import lmstat --at "$next" \
  tests/fixtures/lmstat/mjtrangoni__flexlm_exporter__collector_fixtures_lmstat_app6.txt >/dev/null
timed "publish after one more poll" "$LMSCOPE_BIN" --store "$store" publish --out "$out" --poll-interval 60
timed "publish, nothing new" "$LMSCOPE_BIN" --store "$store" publish --out "$out" --poll-interval 60
echo "published: $(du -sh "$out" | cut -f1) in $(find "$out" -name 'lmscope-*.duckdb' | wc -l) DuckDB files; work dir $work"
