#!/usr/bin/env bash
# A journey with a 1 MB PDF (GET the form, POST it with the file to the confirmation, POST the
# send), beside the plain journey and the disk's own rate of writing and flushing 1 MB files,
# all in the same run. pubcom serves the demo consultation (it takes files) on SQLite, then on
# PostgreSQL. See BENCHMARKS.md.
#   tools/bench-attachments.sh [CLIENTS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-16}
seconds=${2:-20}
work=$(mktemp -d /tmp/pubcom-bench-files.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_bench_files >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

cargo build --release --quiet --bin pubcom --example loadgen
bin=target/release/pubcom
loadgen=target/release/examples/loadgen
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; clients=$clients seconds=$seconds"

serve() { # name url
  PUBCOM_DATABASE_URL=$2 PUBCOM_BIND=127.0.0.1:18081 PUBCOM_DATA_DIR=$work/data-$1 \
  PUBCOM_MAIL__TRANSPORT=log PUBCOM_RATE_LIMIT__SUBMISSIONS_PER_MINUTE=0 PUBCOM_LOG_FORMAT=json \
  PUBCOM_INTAKE__MAX_IN_FLIGHT_PER_CLIENT=0 RUST_LOG=warn "$bin" serve >"$work/$1.log" 2>&1 &
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18081/readyz >/dev/null && return; sleep 0.2; done
  echo "server did not start"; cat "$work/$1.log"; exit 1
}

measure() { # name
  for mode in journey journey-pdf; do
    printf '%s ' "backend=$1"; "$loadgen" "$mode" http://127.0.0.1:18081 demo-open "$clients" "$seconds"
  done
  printf '%s files on disk after the run: %s, %s\n' "$1" "$(ls "$work/data-$1/attachments" | wc -l)" "$(du -sh "$work/data-$1/attachments" | cut -f1)"
  printf '%s peak RSS: %s kB\n' "$1" "$(grep VmHWM /proc/"$(pgrep -f "$bin serve" | head -1)"/status | awk '{print $2}')"
}

mkdir -p "$work/disk"
"$loadgen" disk-baseline "$work/disk" "$seconds"

echo "--- SQLite (synchronous=FULL)"
serve sqlite "sqlite://$work/bench.sqlite3"
measure sqlite
kill %1; wait %1 2>/dev/null || true

echo "--- PostgreSQL"
dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_bench_files
createdb -h 127.0.0.1 -U postgres pubcom_bench_files
serve postgres "postgres://postgres@127.0.0.1:5432/pubcom_bench_files"
measure postgres
kill %1; wait %1 2>/dev/null || true
"$loadgen" disk-baseline "$work/disk" "$seconds"
