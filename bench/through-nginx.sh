#!/usr/bin/env bash
# The warm product page as visitors get it in production: through nginx with the shipped
# deploy/nginx.conf (TLS, HTTP/1.1 keep-alive to the service; only its paths and ports replaced)
# in front of catalog-bff (release build, demo catalog), next to catalog-bff alone, with wrk on
# loopback in the same run. Pages say `public, no-cache`: nginx passes every request on, so
# this measures what the proxy costs. Then how long an edit takes to show through nginx
# (the Directus webhook's purge, then the first request that has the change).
# Prints a table and writes bench/results/through-nginx.json.
#
#   bench/through-nginx.sh [duration-seconds] [page-path]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10}
page=${2:-/product/tokarnyj-stanok-chpu-ck6150}
bff_port=18090
tls_port=18443
plain_port=18091
work=$(mktemp -d)
trap 'kill ${bff_pid:-} 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT

need=()
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
scripts/install-deps.sh
swift build -c release --product catalog-bff >/dev/null

secret=bench-webhook-secret-0123456789
PORT=$bff_port LOG_LEVEL=warning DATA_DIR="$work/var" TRUSTED_PROXIES=127.0.0.1/32 DIRECTUS_WEBHOOK_SECRET=$secret \
  .build/release/catalog-bff serve &
bff_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$bff_port/healthz" >/dev/null && break; sleep 0.1; done

chmod 755 "$work"
scripts/nginx-local.sh "$work" $bff_port $tls_port $plain_port
/usr/sbin/nginx -p "$work" -c "$work/nginx.conf"
for _ in $(seq 50); do curl -skf "https://127.0.0.1:$tls_port/healthz" >/dev/null && break; sleep 0.1; done

run() {  # name url → "rps p99_ms"
  local out rps p99
  out=$(wrk -t2 -c64 -d"${duration}s" --latency -H "Host: shop.example.ru" "$2")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  p99_ms=$(echo "$p99" | awk '/us$/ {sub("us",""); print $1/1000; next} /ms$/ {sub("ms",""); print $1; next} /s$/ {sub("s",""); print $1*1000}')
  printf '%-26s %10.0f req/s   p99 %7.2f ms\n' "$1" "$rps" "$p99_ms" >&2
  echo "$rps $p99_ms"
}

bytes=$(curl -sk "https://127.0.0.1:$tls_port$page" | wc -c)
[ "$(curl -s "http://127.0.0.1:$bff_port$page" | wc -c)" = "$bytes" ] || { echo "nginx and catalog-bff send different pages"; exit 1; }
echo "page $page ($bytes bytes), wrk -t2 -c64 -d${duration}s, 2 cores shared by nginx, catalog-bff and wrk" >&2
wrk -t2 -c64 -d2s "http://127.0.0.1:$bff_port$page" >/dev/null
wrk -t2 -c64 -d2s -H "Host: shop.example.ru" "https://127.0.0.1:$tls_port$page" >/dev/null
read -r bff_rps bff_p99 < <(run "catalog-bff alone" "http://127.0.0.1:$bff_port$page")
read -r nginx_rps nginx_p99 < <(run "through nginx (TLS)" "https://127.0.0.1:$tls_port$page")
ratio=$(awk -v a="$nginx_rps" -v b="$bff_rps" 'BEGIN {printf "%.2f", a/b}')

# An edit: the purge webhook through nginx, then the first page through nginx without the old bytes.
start=$(date +%s.%N)
curl -skf -X POST -H "Host: shop.example.ru" -H "Content-Type: application/json" -H "X-Webhook-Secret: $secret" \
  --data '{"event":"products.items.update","collection":"products","keys":["1"]}' "https://127.0.0.1:$tls_port/webhook/directus" >/dev/null
# The demo catalog reads the same data again: the page is rendered anew (its ETag stays), so the
# time is the purge and one render through nginx.
curl -sk -H "Host: shop.example.ru" "https://127.0.0.1:$tls_port$page" >/dev/null
shown=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.3f", e - s}')
echo "through nginx / alone: $ratio; an edit's purge and the next page through nginx: ${shown} s" >&2
mkdir -p bench/results
printf '{"date":"%s","machine":"%s","page":"%s","bytes":%s,"bff_rps":%s,"bff_p99_ms":%s,"nginx_rps":%s,"nginx_p99_ms":%s,"ratio":%s,"purge_to_page_s":%s}\n' \
  "$(date -u +%FT%TZ)" "$(uname -srm), $(nproc) cores" "$page" "$bytes" "$bff_rps" "$bff_p99" "$nginx_rps" "$nginx_p99" "$ratio" "$shown" \
  > bench/results/through-nginx.json
echo "written: bench/results/through-nginx.json"
