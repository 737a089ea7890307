#!/usr/bin/env bash
# A/B comparison of two pubcom binaries under the same load, alternating, on a shared machine
# whose speed drifts from hour to hour (see BENCHMARKS.md): absolute figures from different
# days do not compare, figures from alternating runs a few seconds apart do.
#   tools/ab.sh OLD_BINARY NEW_BINARY [sqlite|postgres] [api|journey] [ROUNDS] [SECONDS]
# Build an older binary with, e.g.:
#   git worktree add /tmp/old <commit> && (cd /tmp/old && CARGO_TARGET_DIR=$PWD/../main/target \
#     cargo build --release --bin pubcom) && cp target/release/pubcom /tmp/pubcom-old
# Beside each rate it prints the CPU time spent per submission by pubcom and by PostgreSQL
# (all its processes, from /proc): on this 2-core machine the rate follows the CPU each
# submission costs, and that cost drifts far less from run to run than the rate does.
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?old binary}
new=${2:?new binary}
backend=${3:-postgres}
mode=${4:-api}
rounds=${5:-2}
seconds=${6:-10}
work=$(mktemp -d /tmp/pubcom-ab.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_ab >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cargo build --release --quiet --example loadgen
export PUBCOM_BIND=127.0.0.1:18098 PUBCOM_MAIL__TRANSPORT=log PUBCOM_RATE_LIMIT__SUBMISSIONS_PER_MINUTE=0 RUST_LOG=warn
# "pid group ticks" for pubcom and every PostgreSQL process (user + system time).
cpu_ticks() {
  awk -v g=pubcom '{sub(/^.*\) /, ""); print FILENAME, g, $12 + $13}' "/proc/$1/stat"
  for p in $(pgrep -x postgres) $(pgrep -f '^postgres:'); do
    [ -r "/proc/$p/stat" ] && awk -v g=postgres '{sub(/^.*\) /, ""); print FILENAME, g, $12 + $13}' "/proc/$p/stat"
  done 2>/dev/null | sort -u
}
# Microseconds of CPU per submission, by group; a process born during the run counts from 0.
cpu_per_submission() {
  awk -v n="$3" -v hz="$(getconf CLK_TCK)" 'NR == FNR {was[$1] = $3; next}
    {used[$2] += $3 - ($1 in was ? was[$1] : 0)}
    END {if (n > 0) printf "  cpu per submission: pubcom %.0f µs, postgres %.0f µs\n",
      used["pubcom"] * 1e6 / hz / n, used["postgres"] * 1e6 / hz / n}' "$1" "$2"
}
# Transactions PostgreSQL has committed in the benchmark's database (0 on SQLite).
transactions() {
  [ "$backend" = postgres ] || { echo 0; return; }
  psql -Atq -h 127.0.0.1 -U postgres -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'pubcom_ab'"
}
for round in $(seq 1 "$rounds"); do
  for bin in "$old" "$new"; do
    rm -rf "$work/data" "$work"/ab.sqlite3*
    if [ "$backend" = postgres ]; then
      dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_ab >/dev/null 2>&1
      createdb -h 127.0.0.1 -U postgres pubcom_ab
      export PUBCOM_DATABASE_URL=postgres://postgres@127.0.0.1:5432/pubcom_ab
    else
      export PUBCOM_DATABASE_URL=sqlite://$work/ab.sqlite3
    fi
    PUBCOM_DATA_DIR=$work/data "$bin" serve >"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18098/readyz >/dev/null && break; sleep 0.2; done
    printf 'round=%s binary=%s backend=%s ' "$round" "$bin" "$backend"
    cpu_ticks "$server" > "$work/before"
    commits=$(transactions)
    target/release/examples/loadgen "$mode" http://127.0.0.1:18098 demo-open 64 "$seconds" | tee "$work/load"
    cpu_ticks "$server" > "$work/after"
    n=$(sed -n 's/.*submissions=\([0-9]*\).*/\1/p' "$work/load")
    cpu_per_submission "$work/before" "$work/after" "$n"
    [ "$backend" = postgres ] && awk -v t="$(( $(transactions) - commits ))" -v n="$n" \
      'BEGIN {if (n > 0) printf "  PostgreSQL transactions per submission: %.3f\n", t / n}'
    kill "$server"; wait "$server" 2>/dev/null || true
  done
done
