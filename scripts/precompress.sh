#!/usr/bin/env bash
# Write a gzip copy (FILE.gz, maximum compression, the original kept) beside each wasm and
# JavaScript file of a built site, for servers that send precompressed files (nginx's
# gzip_static: deploy/nginx/lmscope.conf). Run it after each deploy of the site.
# Usage: scripts/precompress.sh SITE_DIR
set -euo pipefail
site=${1:?usage: scripts/precompress.sh SITE_DIR}
[ -d "$site" ] || { echo "precompress: $site is not a directory" >&2; exit 2; }
find "$site" -type f \( -name '*.wasm' -o -name '*.js' \) -not -path '*/data/*' -print0 |
  while IFS= read -r -d '' f; do
    # Keep the copy's time equal to the original's, as gzip_static expects of a pair.
    gzip -9 -k -f -n "$f"
    touch -r "$f" "$f.gz"
  done
