#!/usr/bin/env bash
# Overload (see BENCHMARKS.md): RATE API submissions a second offered for SECONDS, open loop,
# on SQLite and on PostgreSQL; reports answers within 1 s by status, the server's peak resident
# memory, and p99 per second during 10 s of normal load right after.
#   tools/surge.sh [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-10000}
seconds=${2:-60}
work=$(mktemp -d /tmp/pubcom-surge.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_surge >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cargo build --release --quiet --bin pubcom --example loadgen
export PUBCOM_DATA_DIR=$work/data PUBCOM_BIND=127.0.0.1:18096 PUBCOM_MAIL__TRANSPORT=log \
  PUBCOM_RATE_LIMIT__SUBMISSIONS_PER_MINUTE=0 RUST_LOG=warn
run() { # backend url
  export PUBCOM_DATABASE_URL=$2
  target/release/pubcom serve >"$work/$1.log" 2>&1 &
  local server=$!
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18096/readyz >/dev/null && break; sleep 0.2; done
  ( peak=0; while kill -0 "$server" 2>/dev/null; do
      rss=$(awk '/VmRSS/{print $2}' /proc/$server/status 2>/dev/null || echo 0)
      [ "${rss:-0}" -gt "$peak" ] && peak=$rss && echo "$peak" >"$work/peak.$1"
      sleep 0.5
    done ) &
  printf '%s ' "backend=$1"; target/release/examples/loadgen surge http://127.0.0.1:18096 demo-open "$rate" "$seconds"
  echo "backend=$1 peak_rss=$(( $(cat "$work/peak.$1") / 1024 )) MB"
  kill "$server"; wait "$server" 2>/dev/null || true
}
echo "machine: $(nproc) cores; offered rate=$rate/s for ${seconds}s"
run sqlite "sqlite://$work/surge.sqlite3"
dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_surge
createdb -h 127.0.0.1 -U postgres pubcom_surge
run postgres "postgres://postgres@127.0.0.1:5432/pubcom_surge"
