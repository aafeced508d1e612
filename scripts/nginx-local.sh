#!/usr/bin/env bash
# Writes a runnable copy of deploy/nginx.conf into DIR, with only its paths and ports replaced:
# a self-signed certificate, the cache in DIR/cache, the upstream on 127.0.0.1:UPSTREAM, TLS on
# 127.0.0.1:TLS and the plain-HTTP redirect on 127.0.0.1:PLAIN. Start it with
#   nginx -p DIR -c DIR/nginx.conf [-g 'daemon off;']
# Used by scripts/check-deploy.sh (nginx -t), bench/through-nginx.sh and the freshness test.
#   scripts/nginx-local.sh DIR UPSTREAM TLS PLAIN
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1 upstream=$2 tls=$3 plain=$4
mkdir -p "$dir/cache"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=shop.example.ru" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
sed -e "s|/var/cache/nginx/catalog-bff|$dir/cache|" -e "s|/etc/ssl/certs/shop.example.ru.pem|$dir/cert.pem|" \
    -e "s|/etc/ssl/private/shop.example.ru.key|$dir/key.pem|" -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$upstream;|" \
    -e "s|listen 443 ssl http2;|listen 127.0.0.1:$tls ssl http2;|" -e "/listen \[::\]:443 ssl http2;/d" \
    -e "s|listen 80;|listen 127.0.0.1:$plain;|" -e "/listen \[::\]:80;/d" deploy/nginx.conf >"$dir/site.conf"
for shipped in "server 127.0.0.1:$upstream;" "listen 127.0.0.1:$tls ssl" "listen 127.0.0.1:$plain;" "$dir/cache"; do
  grep -qF "$shipped" "$dir/site.conf" || { echo "nginx-local: deploy/nginx.conf no longer has what becomes '$shipped'" >&2; exit 1; }
done
printf 'worker_processes auto;\npid %s/nginx.pid;\nerror_log %s/error.log;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  include %s/site.conf;\n}\n' \
  "$dir" "$dir" "$dir" >"$dir/nginx.conf"
