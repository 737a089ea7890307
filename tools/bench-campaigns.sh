#!/usr/bin/env bash
# Campaign detection quality and cost (see BENCHMARKS.md): a fresh database per backend,
# OPINIONS generated with SHARE of them copies of 20 campaigns (truth recorded), then
# `pubcom cluster --truth` (fingerprint all, cluster all, time placing single opinions, score
# against the truth). Beside it, in the same run, the raw floor of the work: the database
# writing the same number of band-key rows (random 64-bit keys under the same primary key)
# server-side, and PostgreSQL's round trip for one prepared statement.
#   tools/bench-campaigns.sh [OPINIONS] [SHARE]
set -euo pipefail
cd "$(dirname "$0")/.."
opinions=${1:-100000}
share=${2:-0.6}
work=$(mktemp -d /tmp/pubcom-campaigns.XXXXXX)
trap 'dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_campaigns >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cargo build --release --quiet --bin pubcom
bin=$PWD/target/release/pubcom
export PUBCOM_DATA_DIR=$work/data RUST_LOG=warn
rows=$((opinions * 40))
echo "machine: $(nproc) cores; opinions=$opinions campaign share=$share; band rows=$rows"

measure() { # backend database_url
  export PUBCOM_DATABASE_URL=$2
  "$bin" migrate >/dev/null
  local t0=$(date +%s.%N)
  "$bin" generate ismap-2020 --opinions "$opinions" --campaigns 20 --campaign-share "$share" --truth "$work/truth.csv" >/dev/null 2>&1
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "generated in %.0f s\n", b-a}'
  "$bin" cluster ismap-2020 --truth "$work/truth.csv"
}

echo "--- SQLite"
measure sqlite "sqlite://$work/campaigns.sqlite3"
sqlite3 "$work/floor.sqlite3" "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
  CREATE TABLE bands (consultation_id BIGINT, band_key BIGINT, opinion_id BIGINT,
    PRIMARY KEY (consultation_id, band_key, opinion_id)) WITHOUT ROWID;" >/dev/null
t0=$(date +%s.%N)
sqlite3 "$work/floor.sqlite3" "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $rows - 1)
  INSERT INTO bands SELECT 1, random(), i / 40 FROM n;"
awk -v a="$t0" -v b="$(date +%s.%N)" -v r="$rows" 'BEGIN{printf "floor: SQLite inserts %s band rows in one statement in %.1f s\n", r, b-a}'
rm -rf "$work/data"

echo "--- PostgreSQL"
dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_campaigns
createdb -h 127.0.0.1 -U postgres pubcom_campaigns
measure postgres "postgres://postgres@127.0.0.1:5432/pubcom_campaigns"
psql -q -h 127.0.0.1 -U postgres pubcom_campaigns -c "CREATE TABLE floor_bands (consultation_id BIGINT, band_key BIGINT, opinion_id BIGINT, PRIMARY KEY (consultation_id, band_key, opinion_id))"
t0=$(date +%s.%N)
psql -q -h 127.0.0.1 -U postgres pubcom_campaigns -c "INSERT INTO floor_bands SELECT 1, (random() * 9.2e18)::bigint, i / 40 FROM generate_series(0, $rows - 1) i"
awk -v a="$t0" -v b="$(date +%s.%N)" -v r="$rows" 'BEGIN{printf "floor: PostgreSQL inserts %s band rows in one statement in %.1f s\n", r, b-a}'
echo "SELECT 1;" >"$work/one.sql"
printf 'floor: pgbench, one prepared statement per transaction, 1 client: '
pgbench -h 127.0.0.1 -U postgres -n -M prepared -c 1 -T 5 -f "$work/one.sql" pubcom_campaigns 2>/dev/null \
  | awk '/latency average/{print "latency avg " $4 " ms"}'
