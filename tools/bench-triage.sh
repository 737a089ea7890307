#!/usr/bin/env bash
# Response times of the main triage views on a consultation filled with N generated opinions
# (see BENCHMARKS.md). Each view is fetched RUNS times by one signed-in client; the median and
# the slowest are reported. SQLite first, then PostgreSQL.
# The generated work is then answered and published (`generate --answer`), so the public
# results page, an item's pages and the streamed downloads are timed too, with the server's
# peak memory after the downloads.
#   [BACKENDS="sqlite postgres"] [CLUSTER=no] [PUBLIC=no] [BIN=path] tools/bench-triage.sh [OPINIONS] [RUNS]
# CLUSTER=no leaves the campaigns to the worker (it fingerprints in the background while the
# views are timed); PUBLIC=no stops after the staff views; BIN times another build of pubcom
# (for an A/B; not PUBCOM_*, which pubcom would read as configuration).
set -euo pipefail
cd "$(dirname "$0")/.."
opinions=${1:-100000}
runs=${2:-5}
work=$(mktemp -d /tmp/pubcom-triage.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_triage >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
if [ -n "${BIN:-}" ]; then
  bin=$(realpath "$BIN")
else
  cargo build --release --quiet --bin pubcom
  bin=$PWD/target/release/pubcom
fi
# A throwaway database: the benchmark administrator signs in with a password alone.
export PUBCOM_DATA_DIR=$work/data PUBCOM_BIND=127.0.0.1:18090 PUBCOM_MAIL__TRANSPORT=log RUST_LOG=warn PUBCOM_STAFF__TWO_FACTOR_ROLES='[]'

median_and_max() { sort -n | awk '{a[NR]=$1} END{printf "median %.0f ms, slowest %.0f ms", a[int((NR+1)/2)]*1000, a[NR]*1000}'; }

measure() { # backend database_url
  export PUBCOM_DATABASE_URL=$2
  local t0=$(date +%s.%N)
  "$bin" generate ismap-2020 --opinions "$opinions" >/dev/null 2>&1
  local t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v n="$opinions" 'BEGIN{printf "generated %s opinions in %.0f s\n", n, b-a}'
  # The worker would fingerprint them in the background while we measure; do it first.
  if [ "${CLUSTER:-yes}" != no ]; then
    "$bin" cluster ismap-2020 >/dev/null 2>&1
    awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN{printf "campaigns found in %.0f s\n", b-a}'
  fi
  echo 'a long benchmark pass phrase' | "$bin" user add bench --role admin >/dev/null
  "$bin" serve >"$work/$1.log" 2>&1 &
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18090/readyz >/dev/null && break; sleep 0.2; done
  local jar=$work/jar.$1 base=http://127.0.0.1:18090
  local token=$(curl -s -c "$jar" -b "$jar" "$base/staff/sign-in" | grep -o 'name="token" value="[^"]*"' | cut -d'"' -f4)
  curl -s -c "$jar" -b "$jar" -o /dev/null -d "token=$token&username=bench&password=a+long+benchmark+pass+phrase&next=/staff/" "$base/staff/sign-in"
  local first=$(curl -s -b "$jar" "$base/staff/c/ismap-2020/opinions" | grep -o 'href="/staff/opinions/[0-9]*"' | head -1 | grep -o '[0-9]*')
  local deep=$((first + opinions * 9 / 10))
  while IFS='|' read -r name path; do
    printf '%-44s ' "$name"
    for _ in $(seq 1 "$runs"); do
      curl -s -b "$jar" -o /dev/null -w '%{time_total}\n' "$base$path"
    done | median_and_max
    echo
  done <<VIEWS
overview: counts per draft, state, channel|/staff/c/ismap-2020
list: first page, all opinions|/staff/c/ismap-2020/opinions
list: draft + state + on time|/staff/c/ismap-2020/opinions?draft=management-standards&state=new&late=no
list: tag filter|/staff/c/ismap-2020/opinions?tag=none-yet
list: search Japanese (監査の頻度)|/staff/c/ismap-2020/opinions?q=%E7%9B%A3%E6%9F%BB%E3%81%AE%E9%A0%BB%E5%BA%A6
list: search English (audit interval)|/staff/c/ismap-2020/opinions?q=audit+interval
list: search + draft + from (管理基準)|/staff/c/ismap-2020/opinions?q=%E7%AE%A1%E7%90%86%E5%9F%BA%E6%BA%96&draft=management-standards&from=2020-03-01
list: page deep in the list (keyset)|/staff/c/ismap-2020/opinions?after=$deep
opinion page|/staff/opinions/$deep
publication review (coverage over all)|/staff/c/ismap-2020/publish
VIEWS
  kill %1; wait %1 2>/dev/null || true
  [ "${PUBLIC:-yes}" = no ] && return
  # Answer everything and publish (the same gates as staff go through), then the public side.
  local t3=$(date +%s.%N)
  "$bin" generate ismap-2020 --opinions 0 --answer 2>&1 | grep -E 'published|refused' || true
  awk -v a="$t3" -v b="$(date +%s.%N)" 'BEGIN{printf "scanned, answered and published in %.0f s\n", b-a}'
  "$bin" serve >>"$work/$1.log" 2>&1 &
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18090/readyz >/dev/null && break; sleep 0.2; done
  while IFS='|' read -r name path; do
    printf '%-44s ' "$name"
    for _ in $(seq 1 "$runs"); do
      curl -s -o /dev/null -w '%{time_total}\n' "$base$path"
    done | median_and_max
    echo
  done <<VIEWS
results page (first 20 opinions per item)|/c/ismap-2020/results
results: item page 50 of its opinions|/c/ismap-2020/results/items/1/1?page=50
VIEWS
  for ext in csv json xlsx; do
    curl -s -o /dev/null -w "download results.$ext: %{size_download} bytes in %{time_total} s\n" "$base/c/ismap-2020/results.$ext"
  done
  grep -E 'VmHWM|VmRSS' /proc/$!/status | tr -s ' \t' ' ' | paste -sd' ' | sed 's/^/server memory after the downloads: /'
  kill %1; wait %1 2>/dev/null || true
}

echo "machine: $(nproc) cores; opinions=$opinions runs=$runs"
backends=${BACKENDS:-sqlite postgres}
if [[ $backends == *sqlite* ]]; then
  echo "--- SQLite"
  measure sqlite "sqlite://$work/triage.sqlite3"
  rm -rf "$work/data"
fi
if [[ $backends == *postgres* ]]; then
  echo "--- PostgreSQL"
  dropdb -h 127.0.0.1 -U postgres --if-exists pubcom_triage
  createdb -h 127.0.0.1 -U postgres pubcom_triage
  measure postgres "postgres://postgres@127.0.0.1:5432/pubcom_triage"
fi
