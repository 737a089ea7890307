#!/usr/bin/env bash
# A/B comparison of two pubcom binaries under the same load, alternating, on a shared machine
# whose speed drifts from hour to hour (see BENCHMARKS.md): absolute figures from different
# days do not compare, figures from alternating runs a few seconds apart do.
#   tools/ab.sh OLD_BINARY NEW_BINARY [sqlite|postgres] [api|journey] [ROUNDS] [SECONDS]
# Build an older binary with, e.g.:
#   git worktree add /tmp/old <commit> && (cd /tmp/old && CARGO_TARGET_DIR=$PWD/../main/target \
#     cargo build --release --bin pubcom) && cp target/release/pubcom /tmp/pubcom-old
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
    target/release/examples/loadgen "$mode" http://127.0.0.1:18098 demo-open 64 "$seconds"
    kill "$server"; wait "$server" 2>/dev/null || true
  done
done
