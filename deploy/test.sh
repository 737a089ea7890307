#!/usr/bin/env bash
# The reference deployment, tried end to end (CI runs it): nginx (deploy/nginx.conf) in front
# of two `pubcom serve` on one PostgreSQL, Redis for the shared limits, and an SMTP sink.
# Through nginx it checks: a public journey whose form comes from one instance and is sent to
# the other, a staff session used on both, a rate limit that holds across both, and every
# receipt email sent exactly once.
#   deploy/test.sh [PUBCOM_BINARY]   (default: target/debug/pubcom, as `cargo test` leaves it)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/pubcom}
loadgen=${LOADGEN:-target/debug/examples/loadgen}
[ -x "$bin" ] || cargo build --quiet --bin pubcom
[ -x "$loadgen" ] || cargo build --quiet --example loadgen
work=$(mktemp -d /tmp/pubcom-deploy.XXXXXX)
db=pubcom_deploy_$$
base=http://127.0.0.1:18180
cleanup() {
  [ -f "$work/nginx/nginx.pid" ] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  dropdb -h 127.0.0.1 -U postgres --if-exists "$db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/serve-*.log "$work"/nginx/logs/error.log; do echo "--- $f"; tail -20 "$f" 2>/dev/null || true; done; exit 1; }
wait_for() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; fail "$1 did not answer"; }

# A per-minute limit is checked below: start early in a minute.
second=$(date +%S); second=${second#0}
if [ "$second" -gt 35 ]; then sleep $((61 - second)); fi

createdb -h 127.0.0.1 -U postgres "$db"
mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
"$loadgen" smtp-sink 18185 "$work/message-ids" &
export PUBCOM_DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db \
  PUBCOM_MAIL__TRANSPORT=smtp PUBCOM_MAIL__SMTP_URL=smtp://127.0.0.1:18185 \
  PUBCOM_RATE_LIMIT__REDIS_URL=redis://127.0.0.1:6379 PUBCOM_RATE_LIMIT__REDIS_NAMESPACE=pubcom-deploy-$$ \
  PUBCOM_RATE_LIMIT__SUBMISSIONS_PER_MINUTE=8 PUBCOM_TRUSTED_PROXIES='["127.0.0.1"]' \
  PUBCOM_WORKER__POLL_INTERVAL_MS=100 RUST_LOG=warn
# Both start at the same instant on the fresh database (migrations take turns).
for i in 1 2; do
  PUBCOM_BIND=127.0.0.1:1818$i PUBCOM_DATA_DIR=$work/data-$i "$bin" serve >"$work/serve-$i.log" 2>&1 &
done
wait_for http://127.0.0.1:18181/readyz
wait_for http://127.0.0.1:18182/readyz
nginx -p "$work/nginx" -c "$PWD/deploy/nginx.conf" -g 'daemon off;' &
wait_for "$base/readyz"
echo "two instances behind nginx"

accepted=0
token_of() { grep -o 'name="token" value="[^"]*"' "$1" | head -n 1 | sed 's/.*value="//; s/"$//'; }

# A public journey, twice: nginx alternates, so each form is sent to the other instance.
for n in 1 2; do
  jar=$work/cookies-$n
  curl -sf -c "$jar" -b "$jar" "$base/c/demo-open/submit?lang=en" -o "$work/form.html"
  token=$(token_of "$work/form.html")
  status=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -c "$jar" -b "$jar" "$base/c/demo-open/submit" \
    --data-urlencode "token=$token" --data-urlencode action=send --data-urlencode agree_to_notes=yes --data-urlencode opinion_count=1 \
    --data-urlencode "opinion-0-body=deploy journey $n" --data-urlencode "email=journey$n@example.jp")
  case "$status" in
    "303 "*/receipt/*) accepted=$((accepted + 1)) ;;
    *) fail "journey $n: $status" ;;
  esac
  receipt_url=${status#303 }
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$receipt_url")" = 200 ] || fail "receipt page $receipt_url"
done
echo "journeys: a form from one instance is accepted by the other"

# A staff session from one instance holds on the other.
PUBCOM_PASSWORD='a deploy test pass phrase' "$bin" user add deploy-clerk --role clerk >/dev/null
jar=$work/staff
curl -sf -c "$jar" -b "$jar" "$base/staff/sign-in" -o "$work/sign-in.html"
token=$(token_of "$work/sign-in.html")
status=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" "$base/staff/sign-in" \
  --data-urlencode "token=$token" --data-urlencode username=deploy-clerk \
  --data-urlencode 'password=a deploy test pass phrase' --data-urlencode next=/staff/)
[ "$status" = 303 ] || fail "staff sign-in: $status"
for n in 1 2; do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" "$base/staff/")" = 200 ] || fail "staff page $n"
done
echo "staff: one session on both instances"

# The limit (8 a minute) holds across both instances: without Redis each would allow 8.
limited=no
for n in $(seq 1 12); do
  status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    "$base/api/v1/consultations/demo-open/submissions" \
    -d "{\"submitter\": {\"email\": \"api$n@example.jp\"}, \"opinions\": [{\"body\": \"deploy api $n\"}]}")
  case "$status" in
    201) accepted=$((accepted + 1)) ;;
    429) limited=yes ;;
    *) fail "api $n: $status" ;;
  esac
done
[ "$limited" = yes ] && [ "$accepted" = 8 ] || fail "accepted $accepted in the minute (limit 8 across both)"
echo "rate limit: $accepted accepted across both instances, then 429"

# Every receipt email exactly once, whichever instance's worker sent it.
for _ in $(seq 1 150); do
  [ -f "$work/message-ids" ] && [ "$(wc -l <"$work/message-ids")" -ge "$accepted" ] && break
  sleep 0.2
done
sleep 2
received=$(wc -l <"$work/message-ids" 2>/dev/null || echo 0)
distinct=$(sort -u "$work/message-ids" | wc -l)
[ "$received" = "$accepted" ] && [ "$distinct" = "$accepted" ] || fail "emails: $received received, $distinct distinct, $accepted expected"
echo "emails: $received sent, each once"

# kill -9 while a file is arriving: a partial file is left, never a submission, and the worker
# of the restarted instance removes the file (a third instance, its own data folder).
submissions() { psql -tA -h 127.0.0.1 -U postgres "$db" -c "SELECT count(*) FROM submissions"; }
PUBCOM_BIND=127.0.0.1:18183 PUBCOM_DATA_DIR=$work/data-3 "$bin" serve >"$work/serve-3.log" 2>&1 &
crashing=$!
wait_for http://127.0.0.1:18183/readyz
stored_before=$(submissions)
jar=$work/cookies-crash
curl -sf -c "$jar" -b "$jar" "http://127.0.0.1:18183/c/demo-open/submit?lang=en" -o "$work/form3.html"
head -c 3000000 /dev/zero | tr '\0' 'a' >"$work/annex.txt"
curl -s --limit-rate 100k -o /dev/null -c "$jar" -b "$jar" -F "token=$(token_of "$work/form3.html")" -F action=send \
  -F agree_to_notes=yes -F opinion_count=1 -F "opinion-0-body=lost in a crash" -F "files=@$work/annex.txt" \
  http://127.0.0.1:18183/c/demo-open/submit &
uploading=$!
for _ in $(seq 1 100); do compgen -G "$work/data-3/attachments/*.part" >/dev/null && break; sleep 0.1; done
compgen -G "$work/data-3/attachments/*.part" >/dev/null || fail "no partial file while the upload ran"
kill -9 "$crashing"
wait "$uploading" 2>/dev/null && fail "the upload got an answer from a killed server"
[ "$(submissions)" = "$stored_before" ] || fail "a submission was stored by the killed upload"
PUBCOM_ATTACHMENTS__ORPHAN_GRACE_SECS=1 PUBCOM_BIND=127.0.0.1:18183 PUBCOM_DATA_DIR=$work/data-3 \
  "$bin" serve >"$work/serve-3b.log" 2>&1 &
wait_for http://127.0.0.1:18183/readyz
for _ in $(seq 1 100); do [ -z "$(ls -A "$work/data-3/attachments")" ] && break; sleep 0.1; done
[ -z "$(ls -A "$work/data-3/attachments")" ] || fail "the partial file was not removed: $(ls "$work/data-3/attachments")"
echo "kill -9 during an upload: no submission, the partial file removed after the restart"
echo "deploy test passed"
