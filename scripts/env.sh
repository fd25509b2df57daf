# Sourced by the scripts: one persistent cargo target directory outside the clone, so a
# machine that has built before rebuilds only what changed.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lmscope/target}"
# node_modules/.bin: wasm-opt (binaryen), esbuild, http-server for Trunk and the tests.
export PATH="$HOME/.cargo/bin:$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/node_modules/.bin:$PATH"
mkdir -p "$CARGO_TARGET_DIR"
