#!/usr/bin/env bash
# Run every test: formatting, lints (native and wasm32), unit and snapshot tests, the CLI
# end-to-end tests, and the built site in headless Chromium. Installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# The tools, with the site's wasm and the test build compiling beside them.
bash scripts/setup.sh --prebuild-app --prebuild-tests

step() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }
start=$(date +%s)

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native: collector and tests)"
cargo clippy "${LMSCOPE_FEATURES[@]}" --all-targets -- -D warnings

step "clippy (wasm32: the shared library without its native part, and the app)"
cargo clippy -p lmscope --no-default-features --lib --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p lmscope-app --target wasm32-unknown-unknown -- -D warnings

step "build the site (release; skipped when dist/ is up to date)"
bash scripts/build-site.sh

# The test build also builds the lmscope binary the end-to-end tests run (the collector has
# integration tests), with the same features as clippy above (DuckDB linked, not compiled).
# cargo-nextest (on this project's machines) runs every test binary's tests side by side,
# each in its own process; the browser tests share one published demo per build
# (tests/support: shared_demo). Without nextest, `cargo test` runs them binary by binary.
step "tests (units, snapshots, CLI end to end, site in Chromium)"
# Full-page screenshots of every page a test opens (tests/artifacts) cost 1-2 s each; they
# are for people to look at: LMSCOPE_SHOTS=1 bash scripts/test.sh keeps them.
export LMSCOPE_SHOTS="${LMSCOPE_SHOTS:-0}"
log=$(mktemp)
set +e
if cargo nextest --version >/dev/null 2>&1; then
  INSTA_UPDATE=no cargo nextest run "${LMSCOPE_FEATURES[@]}" --no-fail-fast \
    --test-threads "${LMSCOPE_TEST_THREADS:-3}" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  summary=$(grep -E "^ *Summary" "$log" | tail -1 | sed "s/^ *Summary *//")
else
  INSTA_UPDATE=no cargo test "${LMSCOPE_FEATURES[@]}" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  # The total over every test binary, as one closing line.
  summary=$(awk '/^test result:/ { for (i = 2; i <= NF; i++) { if ($i ~ /^passed;/) p += $(i-1); if ($i ~ /^failed;/) f += $(i-1) } }
     END { printf "%d passed, %d failed", p, f }' "$log")
fi
set -e

printf '\ntests finished in %ss\n' "$(( $(date +%s) - start ))"
echo "summary: $summary"
rm -f "$log"
exit "$status"
