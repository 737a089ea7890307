#!/usr/bin/env bash
# Receipt emails under a surge (see BENCHMARKS.md). CLIENTS API clients submit, each with an
# email address, for SECONDS while the mail relay refuses every connection (nothing listens on
# its port). Then the relay (`loadgen smtp-sink`, which writes each Message-ID it receives to a
# file) comes up, and the script waits until every stored submission's email has been sent.
# It reports the submissions stored, the emails received, distinct Message-IDs, duplicates,
# and how long the backlog took to drain. Runs on SQLite and on PostgreSQL.
#   tools/email-surge.sh [CLIENTS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-64}
seconds=${2:-20}
work=$(mktemp -d /tmp/pubcom-email-surge.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_email_surge >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cargo build --release --quiet --bin pubcom --example loadgen
loadgen=target/release/examples/loadgen
smtp_port=18125
# Retries come every 2 s at first and at most every 30 s, so the drain after the outage is
# measured in seconds, not in the production back-off of up to an hour.
export PUBCOM_DATA_DIR=$work/data PUBCOM_BIND=127.0.0.1:18097 PUBCOM_MAIL__TRANSPORT=smtp \
  PUBCOM_MAIL__SMTP_URL=smtp://127.0.0.1:$smtp_port PUBCOM_RATE_LIMIT__SUBMISSIONS_PER_MINUTE=0 \
  PUBCOM_WORKER__INITIAL_BACKOFF_SECS=2 PUBCOM_WORKER__MAX_BACKOFF_SECS=30 RUST_LOG=warn
metric() { curl -sf http://127.0.0.1:18097/metrics | awk -v m="$1" '$1 == m {print $2}'; }
run() { # backend url
  export PUBCOM_DATABASE_URL=$2
  rm -f "$work/ids.$1"
  target/release/pubcom serve >"$work/$1.log" 2>&1 &
  local server=$!
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18097/readyz >/dev/null && break; sleep 0.2; done
  printf '%s ' "backend=$1 relay=refusing"; "$loadgen" api-email http://127.0.0.1:18097 demo-open "$clients" "$seconds"
  local stored failures
  stored=$(metric 'pubcom_submissions_accepted_total{channel="api"}')
  failures=$(metric pubcom_email_failures_total)
  echo "backend=$1 stored=$stored sent_while_refusing=$(metric pubcom_emails_sent_total) failed_attempts=$failures"
  "$loadgen" smtp-sink "$smtp_port" "$work/ids.$1" &
  local sink=$! started
  started=$(date +%s.%N)
  for _ in $(seq 1 600); do
    [ "$(metric pubcom_outbox_pending)" = "0" ] && break
    sleep 1
  done
  local drained
  drained=$(echo "$(date +%s.%N) - $started" | bc)
  sleep 2 # anything sent twice would arrive now
  local received distinct
  received=$(wc -l <"$work/ids.$1")
  distinct=$(sort -u "$work/ids.$1" | wc -l)
  echo "backend=$1 relay_back_drain_s=$drained emails_received=$received distinct_message_ids=$distinct duplicates=$((received - distinct)) missing=$((stored - distinct)) pending=$(metric pubcom_outbox_pending)"
  kill "$sink" "$server"; wait "$server" 2>/dev/null || true
}
echo "machine: $(nproc) cores; clients=$clients seconds=$seconds"
run sqlite "sqlite://$work/email.sqlite3"
dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_email_surge
createdb -h 127.0.0.1 -U postgres pubcom_email_surge
run postgres "postgres://postgres@127.0.0.1:5432/pubcom_email_surge"
