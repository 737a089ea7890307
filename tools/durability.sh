#!/usr/bin/env bash
# Durability proof (see BENCHMARKS.md): submit under load, kill the server with SIGKILL several
# times and restart it, restart PostgreSQL under load, then check that every receipt number a
# client was given is stored with its opinions and its outbox row, and that nothing is
# half-written. Exits non-zero if any check fails.
#   tools/durability.sh [KILLS] [SECONDS_BETWEEN_KILLS]
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-4}
gap=${2:-5}
work=$(mktemp -d /tmp/pubcom-durability.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_durability >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cargo build --release --quiet --bin pubcom --example loadgen
bin=$PWD/target/release/pubcom
loadgen=$PWD/target/release/examples/loadgen
export PUBCOM_DATA_DIR=$work/data PUBCOM_BIND=127.0.0.1:18095 PUBCOM_MAIL__TRANSPORT=log \
  PUBCOM_RATE_LIMIT__SUBMISSIONS_PER_MINUTE=0 RUST_LOG=warn
failed=0

start() { "$bin" serve >>"$work/server.log" 2>&1 & server=$!
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18095/healthz >/dev/null && return; sleep 0.1; done; }

check() { # backend, receipts file
  python3 - "$1" "$2" "$PUBCOM_DATABASE_URL" <<'PY'
import sys, subprocess
backend, receipts_file, url = sys.argv[1], sys.argv[2], sys.argv[3]
acked = [l.strip() for l in open(receipts_file) if l.strip()]
def query(sql):
    if backend == "sqlite":
        import sqlite3
        con = sqlite3.connect(url[len("sqlite://"):])
        return con.execute(sql).fetchall()
    out = subprocess.run(["psql", "-At", "-F", "|", url, "-c", sql], check=True, capture_output=True, text=True).stdout
    return [tuple(line.split("|")) for line in out.splitlines() if line]
subs = dict(query("SELECT id, receipt_number FROM submissions"))
ops = dict(query("SELECT submission_id, COUNT(*) FROM opinions GROUP BY submission_id"))
jobs = dict(query("SELECT submission_id, COUNT(*) FROM outbox GROUP BY submission_id"))
stored = {receipt: (int(ops.get(sid, 0)), int(jobs.get(sid, 0))) for sid, receipt in subs.items()}
missing = [r for r in acked if r not in stored]
half = [r for r, (ops, jobs) in stored.items() if ops != 2 or jobs != 1]
print(f"{backend}: receipts given {len(acked)}, submissions stored {len(stored)}, "
      f"given but missing {len(missing)}, half-written {len(half)}, "
      f"stored without an answer (response lost in a kill) {len(stored) - len(set(acked) & set(stored))}")
sys.exit(1 if missing or half else 0)
PY
}

run() { # backend url
  export PUBCOM_DATABASE_URL=$2
  : >"$work/receipts.$1"
  start
  "$loadgen" record http://127.0.0.1:18095 demo-open 16 $(( (kills + 1) * gap )) "$work/receipts.$1" &
  local load=$!
  for i in $(seq 1 "$kills"); do
    sleep "$gap"
    kill -9 "$server"; wait "$server" 2>/dev/null || true
    echo "$1: SIGKILL $i"
    start
  done
  wait "$load"
  kill "$server"; wait "$server" 2>/dev/null || true
  check "$1" "$work/receipts.$1" || failed=1
}

echo "--- SQLite, $kills kills"
run sqlite "sqlite://$work/durability.sqlite3"

echo "--- PostgreSQL, $kills kills, then a database restart under load"
dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_durability
createdb -h 127.0.0.1 -U postgres pubcom_durability
run postgres "postgres://postgres@127.0.0.1:5432/pubcom_durability"

: >"$work/receipts.restart"
start
"$loadgen" record http://127.0.0.1:18095 demo-open 16 $(( 3 * gap )) "$work/receipts.restart" &
load=$!
sleep "$gap"
pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main restart
echo "postgres: database restarted"
wait "$load"
# The same server process must answer again without being restarted.
status=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18095/readyz)
echo "postgres: readyz after the database restart: $status"
[ "$status" = 200 ] || failed=1
kill "$server"; wait "$server" 2>/dev/null || true
cat "$work/receipts.restart" >>"$work/receipts.postgres"
check postgres "$work/receipts.postgres" || failed=1
exit $failed
