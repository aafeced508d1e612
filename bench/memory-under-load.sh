#!/usr/bin/env bash
# Resident memory and throughput under load (issue: bounded memory): catalog-bff (release
# build, demo catalog) takes two rounds of 60 s of `wrk -t2 -c64` on a product page, in 5 s
# steps, with 10 s of rest after each. Goals: RSS ≤ 100 MB after the load and 10 s after it,
# not rising from round to round; the last 5 s within 10 % of the first 5 s.
# Prints a table and writes bench/results/memory-under-load.json.
#
#   bench/memory-under-load.sh [seconds-per-round] [page-path]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
page=${2:-/product/tokarnyj-stanok-chpu-ck6150}
port=18082
work=$(mktemp -d)
trap 'kill ${pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"; $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null; }
scripts/install-deps.sh
swift build -c release --product catalog-bff >/dev/null

PORT=$port LOG_LEVEL=warning DATABASE_URL="sqlite://$work/db.sqlite" MAIL_DIR="$work/mail" ASSET_CACHE_DIR="$work/assets" \
  .build/release/catalog-bff serve &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status"; }

start_rss=$(rss)
echo "catalog-bff RSS at start: ${start_rss} MB; page $page; wrk -t2 -c64, $seconds s per round"
rounds_json=""
for round in 1 2; do
  steps=()
  for _ in $(seq $((seconds / 5))); do
    steps+=("$(wrk -t2 -c64 -d5s "http://127.0.0.1:$port$page" | awk '/Requests\/sec/ {printf "%d", $2}')")
  done
  after=$(rss)
  sleep 10
  rested=$(rss)
  first=${steps[0]}
  last=${steps[${#steps[@]}-1]}
  drift=$(awk -v a="$last" -v b="$first" 'BEGIN {printf "%.1f", (a-b)*100/b}')
  printf 'round %d: req/s first 5 s %d, last 5 s %d (%s %%); RSS after %d MB, 10 s later %d MB\n' \
    "$round" "$first" "$last" "$drift" "$after" "$rested"
  [ -n "$rounds_json" ] && rounds_json+=","
  rounds_json+="{\"round\":$round,\"rps_steps\":[$(IFS=,; echo "${steps[*]}")],\"rss_after_mb\":$after,\"rss_rested_mb\":$rested}"
done
mkdir -p bench/results
printf '{"date":"%s","machine":"%s","start_rss_mb":%d,"page":"%s","rounds":[%s]}\n' \
  "$(date -u +%FT%TZ)" "$(uname -srm), $(nproc) cores" "$start_rss" "$page" "$rounds_json" > bench/results/memory-under-load.json
echo "written: bench/results/memory-under-load.json"
