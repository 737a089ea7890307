#!/usr/bin/env bash
# CPU profile of pubcom (and of the PostgreSQL backends serving it) under the API load of
# BENCHMARKS.md, so each change is chosen from a profile and then checked with tools/ab.sh.
# perf's cpu-clock event works on this machine (no hardware counters in the VM).
#   tools/profile.sh [sqlite|postgres] [CLIENTS] [SECONDS] [TOP]
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-postgres}
clients=${2:-64}
seconds=${3:-15}
top=${4:-25}
work=$(mktemp -d /tmp/pubcom-profile.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_profile >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
command -v perf >/dev/null || { echo "perf is needed (apt-get install linux-perf)"; exit 1; }

# The release build as benchmarked (its symbol table names the functions); a flat profile of
# where CPU time is spent (self time per symbol), which is what chooses the next change.
cargo build --release --quiet --bin pubcom --example loadgen
bin=target/release/pubcom
loadgen=target/release/examples/loadgen

if [ "$backend" = postgres ]; then
  dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_profile >/dev/null 2>&1
  createdb -h 127.0.0.1 -U postgres pubcom_profile
  url=postgres://postgres@127.0.0.1:5432/pubcom_profile
else
  url=sqlite://$work/profile.sqlite3
fi
PUBCOM_DATABASE_URL=$url PUBCOM_BIND=127.0.0.1:18097 PUBCOM_DATA_DIR=$work/data \
PUBCOM_MAIL__TRANSPORT=log PUBCOM_RATE_LIMIT__SUBMISSIONS_PER_MINUTE=0 \
PUBCOM_INTAKE__MAX_IN_FLIGHT_PER_CLIENT=0 RUST_LOG=warn "$bin" serve >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18097/readyz >/dev/null && break; sleep 0.2; done

# Warm up, then load and record at once.
"$loadgen" api http://127.0.0.1:18097 demo-open "$clients" 3 >/dev/null
"$loadgen" api http://127.0.0.1:18097 demo-open "$clients" "$seconds" > "$work/load.txt" &
load=$!
perf record -e cpu-clock -F 999 -p "$server" -o "$work/pubcom.data" -- sleep "$((seconds - 2))" 2>/dev/null
if [ "$backend" = postgres ]; then
  pids=$(pgrep -d, -f 'postgres: .*pubcom_profile' || true)
  [ -n "$pids" ] && perf record -e cpu-clock -F 999 -p "$pids" -o "$work/postgres.data" -- sleep 2 2>/dev/null || true
fi
wait "$load"
cat "$work/load.txt"
echo "--- pubcom: top $top symbols by own CPU time (self)"
perf report -i "$work/pubcom.data" --no-children --sort symbol --stdio 2>/dev/null \
  | grep -E '^ +[0-9]' | sed 's/ *- *- *$//' | cut -c1-140 | head -n "$top" || true
echo "--- pubcom: by thread"
perf report -i "$work/pubcom.data" --no-children --sort comm --stdio 2>/dev/null \
  | grep -E '^ +[0-9]' | sed 's/ *- *- *$//' | cut -c1-140 | head -n 10 || true
if [ -f "$work/postgres.data" ]; then
  echo "--- PostgreSQL backends (2 s): top $top symbols"
  perf report -i "$work/postgres.data" --no-children --sort symbol --stdio 2>/dev/null \
    | grep -E '^ +[0-9]' | sed 's/ *- *- *$//' | cut -c1-140 | head -n "$top" || true
fi
