#!/usr/bin/env bash
# Overload (see BENCHMARKS.md), on SQLite and on PostgreSQL. First the sustained API rate is
# measured (64 closed-loop clients, 10 s); then three times that rate (or RATE, when given) is
# offered open-loop for SECONDS over CONNECTIONS keep-alive connections (`loadgen surge`, timed
# from each request's scheduled instant). Reports answers within 1 s by status, the server's
# peak resident memory (sampled every 0.2 s), and the p99 of each second of normal load
# (8 clients) right after the surge.
#   tools/surge.sh [SECONDS] [RATE] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
fixed_rate=${2:-}
connections=${3:-512}
work=$(mktemp -d /tmp/pubcom-surge.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_surge >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cargo build --release --quiet --bin pubcom --example loadgen
loadgen=target/release/examples/loadgen
export PUBCOM_DATA_DIR=$work/data PUBCOM_BIND=127.0.0.1:18096 PUBCOM_MAIL__TRANSPORT=log \
  PUBCOM_RATE_LIMIT__SUBMISSIONS_PER_MINUTE=0 RUST_LOG=warn
run() { # backend url
  export PUBCOM_DATABASE_URL=$2
  target/release/pubcom serve >"$work/$1.log" 2>&1 &
  local server=$!
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18096/readyz >/dev/null && break; sleep 0.2; done
  local sustained rate
  sustained=$("$loadgen" api http://127.0.0.1:18096 demo-open 64 10 | sed -n 's/.*rate=\([0-9]*\)\/s.*/\1/p')
  rate=${fixed_rate:-$((sustained * 3))}
  echo "backend=$1 sustained=${sustained}/s offered=${rate}/s"
  echo 0 >"$work/peak.$1"
  ( peak=0; while kill -0 "$server" 2>/dev/null; do
      rss=$(awk '/VmRSS/{print $2}' /proc/$server/status 2>/dev/null || echo 0)
      [ "${rss:-0}" -gt "$peak" ] && peak=$rss && echo "$peak" >"$work/peak.$1"
      sleep 0.2
    done ) &
  printf '%s ' "backend=$1"; "$loadgen" surge http://127.0.0.1:18096 demo-open "$rate" "$seconds" "$connections"
  echo "backend=$1 peak_rss=$(( $(cat "$work/peak.$1") / 1024 )) MB log_bytes=$(wc -c <"$work/$1.log")"
  kill "$server"; wait "$server" 2>/dev/null || true
}
echo "machine: $(nproc) cores; surge of ${seconds}s over $connections connections"
run sqlite "sqlite://$work/surge.sqlite3"
dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_surge
createdb -h 127.0.0.1 -U postgres pubcom_surge
run postgres "postgres://postgres@127.0.0.1:5432/pubcom_surge"
