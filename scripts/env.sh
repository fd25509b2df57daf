# Sourced by the scripts: one persistent cargo target directory outside the clone, so a
# machine that has built before rebuilds only what changed.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lmscope/target}"
_lmscope_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# node_modules/.bin: wasm-opt (binaryen), esbuild, http-server for the site build and the tests.
export PATH="$HOME/.cargo/bin:$_lmscope_root/node_modules/.bin:$PATH"
# Link DuckDB 1.4.3 as the prebuilt libduckdb.so of the npm package (installed by setup.sh)
# instead of compiling its C++: the scripts build with `--no-default-features` (no `bundled`).
export DUCKDB_LIB_DIR="$_lmscope_root/node_modules/@duckdb/node-bindings-linux-x64"
export LD_LIBRARY_PATH="$DUCKDB_LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The feature set of every native cargo command in the scripts: the collector's `native`
# part without `bundled`. One set for clippy, test and serve, so nothing builds twice.
LMSCOPE_FEATURES=(--workspace --exclude lmscope-app --no-default-features --features lmscope/native)
mkdir -p "$CARGO_TARGET_DIR"
# DuckDB's Python client (setup.sh installs it there), for the tests that read the published
# data as a client outside the site would.
export LMSCOPE_VENV="${LMSCOPE_VENV:-$(dirname "$CARGO_TARGET_DIR")/lmscope-venv}"
