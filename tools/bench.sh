#!/usr/bin/env bash
# Reproducible load benchmark (see BENCHMARKS.md). Runs everything on this machine, on loopback:
# pubcom on SQLite and on PostgreSQL, the full journey and the API, next to the raw database
# baselines (pgbench inserting a 2 KB row per transaction; one SQLite writer with FULL sync).
#   tools/bench.sh [CLIENTS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-64}
seconds=${2:-20}
work=$(mktemp -d /tmp/pubcom-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_bench >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

cargo build --release --quiet --bin pubcom --example loadgen
bin=target/release/pubcom
loadgen=target/release/examples/loadgen
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; clients=$clients seconds=$seconds"

serve() { # backend url
  PUBCOM_DATABASE_URL=$2 PUBCOM_BIND=127.0.0.1:18080 PUBCOM_DATA_DIR=$work/data \
  PUBCOM_MAIL__TRANSPORT=log PUBCOM_RATE_LIMIT__SUBMISSIONS_PER_MINUTE=0 PUBCOM_LOG_FORMAT=json \
  RUST_LOG=warn "$bin" serve >"$work/$1.log" 2>&1 &
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18080/readyz >/dev/null && return; sleep 0.2; done
  echo "server did not start"; cat "$work/$1.log"; exit 1
}

run_http() { # backend
  for mode in journey api; do
    printf '%s ' "backend=$1"; "$loadgen" "$mode" http://127.0.0.1:18080 demo-open "$clients" "$seconds"
  done
}

echo "--- SQLite (synchronous=FULL)"
serve sqlite "sqlite://$work/bench.sqlite3"
run_http sqlite
kill %1; wait %1 2>/dev/null || true
"$loadgen" sqlite-baseline "$work/baseline.sqlite3" "$seconds"

echo "--- PostgreSQL"
dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_bench
createdb -h 127.0.0.1 -U postgres pubcom_bench
serve postgres "postgres://postgres@127.0.0.1:5432/pubcom_bench"
run_http postgres
kill %1; wait %1 2>/dev/null || true
psql -q -h 127.0.0.1 -U postgres pubcom_bench -c "CREATE TABLE baseline (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)"
printf "INSERT INTO baseline (body) VALUES (repeat('x', 2048));\n" > "$work/insert.sql"
for c in 1 "$clients"; do
  printf 'pgbench clients=%s: ' "$c"
  pgbench -h 127.0.0.1 -U postgres -n -c "$c" -j 2 -T "$seconds" -f "$work/insert.sql" pubcom_bench 2>/dev/null \
    | awk '/latency average/{lat=$4} /^tps/{tps=$3} END{printf "%.0f tps, latency avg %s ms\n", tps, lat}'
done
