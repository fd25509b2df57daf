#!/usr/bin/env bash
# Collector speed and memory, on inputs generated from the recorded fixtures
# (scripts/bench-inputs.py), with the release build. Prints, in one run:
#   - `lmstat -a` parse MB/s on one core, `grep -c 'Users of'` MB/s on the same file (the
#     ceiling) and their ratio; debug-log parse MB/s;
#   - `import log` MB/s and peak RSS for a 100 MB and a 1 GB log, with the time of each step;
#   - `import lmstat` polls/s and peak RSS for 100,000 saved polls appended in one file.
# Usage: scripts/bench-collector.sh [WORK_DIR]    (BENCH_QUICK=1: 100 MB log and 20,000 polls only;
#        BENCH_BIG=1: a 3 GB log as well, to see that peak memory does not grow with the input)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
work=${1:-$(mktemp -d)}
mkdir -p "$work"
cargo build --release -p lmscope --no-default-features --features native \
  --bin lmscope --example parse_speed >&2
bin="$CARGO_TARGET_DIR/release"
quick=${BENCH_QUICK:-}

input() { # KIND FILE SIZE: generate once
  [ -s "$work/$2" ] || python3 scripts/bench-inputs.py "$1" "$work/$2" "$3"
}
mb() { python3 -c "import os,sys; print(f'{os.path.getsize(sys.argv[1]) / 1e6:.0f}')" "$1"; }

input lmstat lmstat.txt 50
parse=$("$bin/examples/parse_speed" lmstat "$work/lmstat.txt" 3 | cut -d' ' -f1)
grep_mbs=$(python3 - "$work/lmstat.txt" <<'PY'
import os, subprocess, sys, time
path = sys.argv[1]
best = min(
    (lambda t: (subprocess.run(["grep", "-c", "Users of", path], capture_output=True), time.perf_counter() - t)[1])(time.perf_counter())
    for _ in range(7)
)
print(f"{os.path.getsize(path) / 1e6 / best:.0f}")
PY
)
printf 'lmstat -a parse, one core: %s MB/s on %s MB; grep -c: %s MB/s; parse/grep = %s %%\n' \
  "$parse" "$(mb "$work/lmstat.txt")" "$grep_mbs" \
  "$(python3 -c "print(round(100 * $parse / $grep_mbs))")"

input log log100.txt 100
printf 'debug-log parse, one core: %s MB/s\n' \
  "$("$bin/examples/parse_speed" log "$work/log100.txt" 3 | cut -d' ' -f1)"

timed_import() { # LABEL FILE ARGS...: wall time, MB/s or polls/s, peak RSS, step times
  local label=$1 file=$2; shift 2
  rm -rf "$work/store.duckdb" "$work/store.duckdb.wal" "$work/store.duckdb.tmp"
  LMSCOPE_TIMINGS=1 /usr/bin/time -f "%e %M" -o "$work/time" \
    "$bin/lmscope" --store "$work/store.duckdb" "$@" "$file" > "$work/out.log" 2>&1 \
    || { cat "$work/out.log" >&2; exit 1; }
  read -r secs kb < "$work/time"
  printf '%-32s %7.2f s  %6.1f MB/s  peak RSS %4d MB   (%s)\n' "$label" "$secs" \
    "$(python3 -c "print($(mb "$file") / $secs)")" $((kb / 1024)) \
    "$(grep -E '^import log: ' "$work/out.log" | sed 's/^import log: //' | paste -sd ';' -)"
  tail -n 1 "$work/out.log" | sed 's/^/    /'
}

timed_import "import log, $(mb "$work/log100.txt") MB" "$work/log100.txt" import log --server bench@host
if [ -z "$quick" ]; then
  input log log1g.txt 1000
  timed_import "import log, $(mb "$work/log1g.txt") MB" "$work/log1g.txt" import log --server bench@host
  # The same log again: every event found already stored.
  timed_import_again() {
    LMSCOPE_TIMINGS=1 /usr/bin/time -f "%e %M" -o "$work/time" \
      "$bin/lmscope" --store "$work/store.duckdb" import log --server bench@host "$work/log1g.txt" \
      > "$work/out.log" 2>&1 || { cat "$work/out.log" >&2; exit 1; }
    read -r secs kb < "$work/time"
    printf '%-32s %7.2f s  %6.1f MB/s  peak RSS %4d MB\n' "the same 1 GB log again" "$secs" \
      "$(python3 -c "print($(mb "$work/log1g.txt") / $secs)")" $((kb / 1024))
    tail -n 1 "$work/out.log" | sed 's/^/    /'
  }
  timed_import_again
fi
if [ -n "${BENCH_BIG:-}" ]; then
  input log log3g.txt 3000
  timed_import "import log, $(mb "$work/log3g.txt") MB" "$work/log3g.txt" import log --server bench@host
fi

polls=$([ -n "$quick" ] && echo 20000 || echo 100000)
input polls "polls$polls.txt" "$polls"
timed_import "import lmstat, $polls polls" "$work/polls$polls.txt" import lmstat
read -r secs _ < "$work/time"
printf '    %s polls/s\n' "$(python3 -c "print(round($polls / $secs))")"
