# Sourced by the scripts: one persistent cargo target directory outside the clone, so a
# machine that has built before rebuilds only what changed.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lmscope/target}"
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p "$CARGO_TARGET_DIR"
