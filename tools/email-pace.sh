#!/usr/bin/env bash
# Do receipt emails keep pace with intake? API clients submit, each with an email address, for
# SECONDS while a local relay (`loadgen smtp-sink`) takes every message. Reports submissions
# accepted per second, emails sent per second during the load, the backlog left when the load
# stops and how fast it goes down in the 10 s after. Give two binaries to compare them in alternating runs.
#   tools/email-pace.sh [sqlite|postgres] [CLIENTS] [SECONDS] [BINARY...]
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-postgres}
clients=${2:-64}
seconds=${3:-30}
shift $(( $# < 3 ? $# : 3 ))
bins=("$@")
work=$(mktemp -d /tmp/pubcom-email-pace.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_email_pace >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cargo build --release --quiet --bin pubcom --example loadgen
[ ${#bins[@]} -gt 0 ] || bins=(target/release/pubcom)
loadgen=target/release/examples/loadgen
smtp_port=18126
export PUBCOM_BIND=127.0.0.1:18096 PUBCOM_MAIL__TRANSPORT=smtp PUBCOM_MAIL__SMTP_URL=smtp://127.0.0.1:$smtp_port \
  PUBCOM_RATE_LIMIT__SUBMISSIONS_PER_MINUTE=0 PUBCOM_INTAKE__MAX_IN_FLIGHT_PER_CLIENT=0 RUST_LOG=warn
metric() { curl -sf http://127.0.0.1:18096/metrics | awk -v m="$1" '$1 == m {print $2}'; }
echo "machine: $(nproc) cores; backend=$backend clients=$clients seconds=$seconds"
for bin in "${bins[@]}"; do
  rm -rf "$work/data" "$work"/pace.sqlite3* "$work/ids"
  if [ "$backend" = postgres ]; then
    dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_email_pace >/dev/null 2>&1
    createdb -h 127.0.0.1 -U postgres pubcom_email_pace
    export PUBCOM_DATABASE_URL=postgres://postgres@127.0.0.1:5432/pubcom_email_pace
  else
    export PUBCOM_DATABASE_URL=sqlite://$work/pace.sqlite3
  fi
  "$loadgen" smtp-sink "$smtp_port" "$work/ids" &
  sink=$!
  PUBCOM_DATA_DIR=$work/data "$bin" serve >"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18096/readyz >/dev/null && break; sleep 0.2; done
  printf '%s: ' "$bin"; "$loadgen" api-email http://127.0.0.1:18096 demo-open "$clients" "$seconds"
  sent=$(metric pubcom_emails_sent_total); pending=$(metric pubcom_outbox_pending)
  stored=$(metric 'pubcom_submissions_accepted_total{channel="api"}')
  # With no more intake, how fast does the backlog go down? (10 s, not to the end: at the old
  # pace a 30 s load left minutes of backlog.)
  sleep 10
  after=$(metric pubcom_emails_sent_total)
  echo "  accepted=$stored accepted_per_s=$(echo "$stored / $seconds" | bc) sent_during_load=$sent sent_per_s_during_load=$(echo "$sent / $seconds" | bc) backlog_at_end=$pending sent_per_s_after_load=$(echo "($after - $sent) / 10" | bc) received=$(wc -l <"$work/ids")"
  kill "$server" "$sink"; wait "$server" 2>/dev/null || true
done
