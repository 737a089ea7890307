#!/usr/bin/env bash
# Screenshots of the main public and staff pages at 390 px and 1280 px in both languages,
# for review (never committed as test oracles). A throwaway SQLite database is filled with
# generated, answered and published opinions, one administrator is added, and
# examples/screenshots.rs drives Chromium through chromedriver.
#   tools/screenshots.sh [OUT_DIR]    (default: target/screenshots)
# Japanese text needs a CJK font on the machine (Debian: fonts-noto-cjk), else it shows as boxes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-target/screenshots}")
work=$(mktemp -d /tmp/pubcom-shots.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --quiet --bin pubcom --example screenshots
bin=$PWD/target/debug/pubcom
# Throwaway data; the administrator signs in with a password alone here.
export PUBCOM_DATA_DIR=$work/data PUBCOM_DATABASE_URL=sqlite://$work/shots.sqlite3 PUBCOM_BIND=127.0.0.1:18095 \
  PUBCOM_PUBLIC_BASE_URL=http://127.0.0.1:18095 PUBCOM_MAIL__TRANSPORT=log PUBCOM_STAFF__TWO_FACTOR_ROLES='[]' RUST_LOG=warn
"$bin" generate ismap-2020 --opinions 300 --answer >/dev/null 2>&1
echo 'a screenshot pass phrase' | "$bin" user add shots --role admin >/dev/null
"$bin" serve >"$work/serve.log" 2>&1 &
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18095/readyz >/dev/null && break; sleep 0.2; done
target/debug/examples/screenshots http://127.0.0.1:18095 shots 'a screenshot pass phrase' "$out"
