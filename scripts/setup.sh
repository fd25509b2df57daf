#!/usr/bin/env bash
# Install everything lmscope needs to build, serve and test, skipping what is already
# there at the right version. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # = the wasm-bindgen crate in Cargo.lock
TRUNK_VERSION=0.21.14
PYSPARK_VERSION=3.5.3

log() { printf '\033[1;34msetup:\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# --prebuild-app: compile the site's release wasm (what scripts/build-site.mjs compiles) in
# the background while the tools below install, so the site build later finds it built. On a
# fresh machine wasm-bindgen's install leaves a core idle for minutes.
# --prebuild-collector / --prebuild-tests: compile the collector's binary (serve.sh) or every
# native target with its tests (test.sh) in the background too, once the npm packages (which
# hold the prebuilt libduckdb.so it links) are in. Cargo locks each profile's build folder on
# its own, so the wasm32 release build and the native debug build run side by side.
# --with-trunk: also install Trunk, for `trunk serve` while working on the app. The scripts
# build the site without it (scripts/build-site.mjs); compiling it costs ~12 minutes fresh.
prebuild=0 with_trunk=0 native=
for arg in "$@"; do
  case "$arg" in
    --prebuild-app) prebuild=1 ;;
    --prebuild-collector) native=--bins ;;
    --prebuild-tests) native=--all-targets ;;
    --with-trunk) with_trunk=1 ;;
    *) log "unknown option $arg (known: --prebuild-app, --prebuild-collector, --prebuild-tests, --with-trunk)"; exit 2 ;;
  esac
done
app_pid=
if [ "$prebuild" = 1 ]; then
  app_log="${TMPDIR:-/tmp}/lmscope-setup-app.log"
  cargo build --release --target wasm32-unknown-unknown -p lmscope-app > "$app_log" 2>&1 &
  app_pid=$!
fi

# Downloads (Chromium from Debian, the npm packages) run in the background while the
# tools compile: they wait on the network and the disk, the compiler on the CPU.
debian() {
  # Debian's chromium for the browser tests, nginx-light for the served-site test
  # (tests/nginx.rs, deploy/nginx/lmscope.conf).
  local debs=()
  if [ "${LMSCOPE_NO_BROWSER:-0}" != 1 ]; then
    command -v chromium >/dev/null || debs+=(chromium chromium-driver)
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || debs+=(nginx-light)
  fi
  # Debian's OpenJDK for Apache Spark, which reads the Parquet lake in tests/lake.rs.
  command -v java >/dev/null || debs+=(openjdk-17-jre-headless)
  # openssl makes the loopback SMTP server's test certificates (tests/notify.rs).
  command -v openssl >/dev/null || debs+=(openssl)
  # A real single-node Slurm (slurmctld, slurmd, scontrol, squeue, sbatch) that
  # tests/slurm.rs starts on its own ports.
  [ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] && command -v sbatch >/dev/null \
    || debs+=(slurmctld slurmd slurm-client)
  if [ "${#debs[@]}" -gt 0 ]; then
    log "installing Debian's ${debs[*]} for the tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debs[@]}" >/dev/null
  fi
}
python_client() {
  # DuckDB's Python client at the engine's version, in a virtual environment beside the cargo
  # target: the tests open the published data with lmscope.sql as a reader outside the site
  # would (tests/store.rs); PySpark in the same one reads the lake (tests/lake.rs).
  # shellcheck source=env.sh
  source scripts/env.sh
  local venv=$LMSCOPE_VENV
  if ! "$venv/bin/python" -c 'import duckdb, sys; sys.exit(duckdb.__version__ != "1.4.3")' 2>/dev/null; then
    log "installing DuckDB's Python client 1.4.3 into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet duckdb==1.4.3
  fi
  # aiosmtpd: a real SMTP server on loopback (STARTTLS, login) for the e-mail tests.
  if ! "$venv/bin/python" -c 'import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != "1.4.6")' 2>/dev/null; then
    log "installing aiosmtpd 1.4.6 into $venv"
    "$venv/bin/pip" install --quiet aiosmtpd==1.4.6
  fi
  # Apache Spark (PySpark, local mode) reads the Parquet lake as a bigger engine would.
  if ! "$venv/bin/python" -c 'import pyspark, sys; sys.exit(pyspark.__version__ != "'"$PYSPARK_VERSION"'")' 2>/dev/null; then
    log "installing PySpark $PYSPARK_VERSION into $venv (a 300 MB download, once per machine)"
    "$venv/bin/pip" install --quiet "pyspark==$PYSPARK_VERSION"
  fi
}
npm_packages() {
  # npm ci only when package-lock.json changed since the last install.
  stamp=node_modules/.lmscope-lock.sha256
  want=$(sha256sum package-lock.json | awk '{print $1}')
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing npm packages from package-lock.json"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" > "$stamp"
  fi
}
native_build() {
  npm_packages
  if [ -n "$native" ]; then
    # shellcheck source=env.sh
    source scripts/env.sh
    cargo build "${LMSCOPE_FEATURES[@]}" "$native"
  fi
}
downloads_log="${TMPDIR:-/tmp}/lmscope-setup-downloads.log"
native_log="${TMPDIR:-/tmp}/lmscope-setup-native.log"
{ debian && python_client; } > "$downloads_log" 2>&1 &
downloads_pid=$!
native_build > "$native_log" 2>&1 &
native_pid=$!

# The build tools, compiled once per machine for speed of compiling, not of running: both
# unoptimized (wasm-bindgen then takes 2.9 s instead of 0.8 s on the app's wasm, against
# minutes saved compiling it on a fresh machine; Trunk, only with --with-trunk, waits on
# rustc and wasm-opt). Neither needs LTO, debug info or TLS (Trunk must never download
# anything here).
install_tool() {
  local crate=$1 version=$2 opt=$3
  log "installing $crate $version (a few minutes, once per machine)"
  local fast=(env CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt" CARGO_PROFILE_RELEASE_LTO=false
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=false)
  # wasm-bindgen-cli's lock file pins webpki-roots 1.0.11, which the registry here does not
  # serve; fall back to a fresh resolution of the same version when --locked fails.
  # Each tool in its own target directory: in the shared one (CARGO_TARGET_DIR) the two
  # installs would wait on each other's build lock instead of running side by side.
  local dir="${CARGO_TARGET_DIR:-$HOME/.cache/lmscope/target}/tools/$crate"
  "${fast[@]}" cargo install "$crate" --version "$version" --no-default-features --locked --target-dir "$dir" \
    || "${fast[@]}" cargo install "$crate" --version "$version" --no-default-features --force --target-dir "$dir"
}

# Both at once when both are wanted: each spends minutes on one crate with one core busy
# (trunk's own crate, wasm-bindgen's), so together they keep both cores working.
tool_pids=()
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  install_tool wasm-bindgen-cli "$WASM_BINDGEN_VERSION" 0 &
  tool_pids+=($!)
fi

if [ "$with_trunk" = 1 ] && [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  install_tool trunk "$TRUNK_VERSION" 0 &
  tool_pids+=($!)
fi

for pid in "${tool_pids[@]}"; do
  wait "$pid" || { log "installing a build tool failed (output above)"; exit 1; }
done

if ! wait "$downloads_pid"; then
  cat "$downloads_log" >&2
  log "installing Chromium, nginx or DuckDB's Python client failed (log above)"
  exit 1
fi

if ! wait "$native_pid"; then
  cat "$native_log" >&2
  log "installing the npm packages or compiling the collector failed (log above)"
  exit 1
fi

if [ -n "$app_pid" ] && ! wait "$app_pid"; then
  cat "$app_log" >&2
  log "compiling the site's wasm failed (log above)"
  exit 1
fi
