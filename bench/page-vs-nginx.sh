#!/usr/bin/env bash
# Warm product page: catalog-bff (release build, demo catalog) against nginx serving the
# very same bytes as a static file, with wrk on loopback in the same run (DESIGN §8); then the
# same with `Accept-Encoding: gzip` against nginx serving catalog-bff's own gzip bytes as a
# pre-compressed file (`gzip_static`). Goal: ≥ 0.75× nginx's requests/s in both, and p99 < 5 ms
# at 64 connections. Prints a table and writes bench/results/page-vs-nginx.json.
#
#   bench/page-vs-nginx.sh [duration-seconds] [page-path]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-10}
page=${2:-/product/tokarnyj-stanok-chpu-ck6150}
bff_port=18080
nginx_port=18081
work=$(mktemp -d)
trap 'kill ${bff_pid:-} ${nginx_pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT

need=()
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
scripts/install-deps.sh
swift build -c release --product catalog-bff >/dev/null

PORT=$bff_port LOG_LEVEL=warning .build/release/catalog-bff serve &
bff_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$bff_port/healthz" >/dev/null && break; sleep 0.1; done

# nginx's workers run as another user when it is started as root: they must be able to read the copy.
chmod 755 "$work"
mkdir -p "$work/www"
curl -sf "http://127.0.0.1:$bff_port$page" -o "$work/www/page.html"
curl -sf -H "Accept-Encoding: gzip" "http://127.0.0.1:$bff_port$page" -o "$work/www/page.html.gz"
bytes=$(wc -c < "$work/www/page.html")
gz_bytes=$(wc -c < "$work/www/page.html.gz")
gzip -t "$work/www/page.html.gz"

cat > "$work/nginx.conf" <<CONF
worker_processes auto;
error_log $work/error.log;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  gzip_static on;
  keepalive_requests 1000000;
  types { text/html html; }
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
    location / { try_files /page.html =404; }
  }
}
CONF
/usr/sbin/nginx -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
sleep 0.5

gzip_header="Accept-Encoding: gzip"
run() {  # name url [header] → "rps p99_ms"
  local out
  out=$(wrk -t2 -c64 -d"${duration}s" --latency ${3:+-H "$3"} "$2")
  local rps p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  # wrk prints latencies as 850.00us, 1.20ms or 1.05s
  p99_ms=$(echo "$p99" | awk '/us$/ {sub("us",""); print $1/1000; next} /ms$/ {sub("ms",""); print $1; next} /s$/ {sub("s",""); print $1*1000}')
  printf '%-22s %10.0f req/s   p99 %7.2f ms\n' "$1" "$rps" "$p99_ms" >&2
  echo "$rps $p99_ms"
}

# Both servers must send the same bytes: a 404 from nginx would be a much cheaper answer.
check() {  # url [header] → expected size
  local got
  got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' ${2:+-H "$2"} "$1")
  [ "$got" = "200 $3" ] || { echo "$1 ${2:-} answers '$got', not '200 $3'"; exit 1; }
}
check "http://127.0.0.1:$nginx_port/" "" "$bytes"
check "http://127.0.0.1:$nginx_port/" "$gzip_header" "$gz_bytes"
check "http://127.0.0.1:$bff_port$page" "" "$bytes"
check "http://127.0.0.1:$bff_port$page" "$gzip_header" "$gz_bytes"

echo "page $page ($bytes bytes, $gz_bytes gzipped), wrk -t2 -c64 -d${duration}s, 2 cores shared by server and wrk" >&2
wrk -t2 -c64 -d2s "http://127.0.0.1:$nginx_port/" >/dev/null   # warm-up
wrk -t2 -c64 -d2s "http://127.0.0.1:$bff_port$page" >/dev/null
read -r nginx_rps nginx_p99 < <(run nginx "http://127.0.0.1:$nginx_port/")
read -r bff_rps bff_p99 < <(run catalog-bff "http://127.0.0.1:$bff_port$page")
read -r nginx_gz_rps nginx_gz_p99 < <(run "nginx gzip_static" "http://127.0.0.1:$nginx_port/" "$gzip_header")
read -r bff_gz_rps bff_gz_p99 < <(run "catalog-bff gzip" "http://127.0.0.1:$bff_port$page" "$gzip_header")
ratio=$(awk -v a="$bff_rps" -v b="$nginx_rps" 'BEGIN {printf "%.2f", a/b}')
gz_ratio=$(awk -v a="$bff_gz_rps" -v b="$nginx_gz_rps" 'BEGIN {printf "%.2f", a/b}')
echo "ratio catalog-bff/nginx: $ratio, with gzip $gz_ratio (goal ≥ 0.75); catalog-bff p99 ${bff_p99} / ${bff_gz_p99} ms (goal < 5)"
mkdir -p bench/results
printf '{"date":"%s","machine":"%s","page":"%s","bytes":%s,"gzip_bytes":%s,"nginx_rps":%s,"bff_rps":%s,"ratio":%s,"bff_p99_ms":%s,"nginx_gzip_rps":%s,"bff_gzip_rps":%s,"gzip_ratio":%s,"bff_gzip_p99_ms":%s}\n' \
  "$(date -u +%FT%TZ)" "$(uname -srm), $(nproc) cores" "$page" "$bytes" "$gz_bytes" "$nginx_rps" "$bff_rps" "$ratio" "$bff_p99" \
  "$nginx_gz_rps" "$bff_gz_rps" "$gz_ratio" "$bff_gz_p99" > bench/results/page-vs-nginx.json
echo "written: bench/results/page-vs-nginx.json"
