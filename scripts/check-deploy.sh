#!/usr/bin/env bash
# The sample deployment files, checked by the tools that will read them, where they exist:
#   nginx -t on deploy/nginx.conf (with a self-signed certificate made here), and
#   systemd-analyze verify on deploy/catalog-bff.service (with the binary installed in place),
#   and its `systemd-analyze security` exposure at or below the recorded value.
# Usage: scripts/check-deploy.sh [BUILD]   (BUILD: debug or release, as built already)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-debug}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  scripts/nginx-local.sh "$work/nginx" 8080 8443 8081
  "$nginx" -t -q -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log"
  echo "deploy: nginx -t accepts deploy/nginx.conf"
else
  echo "deploy: nginx is not installed here; deploy/nginx.conf not checked"
fi

if command -v systemd-analyze >/dev/null; then
  make -s install PREFIX="$work/prefix" BUILD="$build" >/dev/null
  sed "s|/usr/local/bin/catalog-bff|$work/prefix/bin/catalog-bff|g" deploy/catalog-bff.service >"$work/catalog-bff.service"
  # Warnings (an unknown setting, a value it cannot parse) count as failures too.
  out=$(systemd-analyze verify "$work/catalog-bff.service" 2>&1) || { echo "$out"; exit 1; }
  if [ -n "$out" ]; then echo "$out"; exit 1; fi
  echo "deploy: systemd-analyze verify accepts deploy/catalog-bff.service with the installed binary"
  # The unit's exposure as systemd rates it: never worse than recorded (3.2 before the
  # system call filter, /proc and user hardening; 1.1 with it).
  recorded=1.1
  score=$(systemd-analyze security --offline=true "$work/catalog-bff.service" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  if [ -z "$score" ] || ! awk -v s="$score" -v r="$recorded" 'BEGIN { exit !(s <= r) }'; then
    echo "deploy: systemd-analyze security rates deploy/catalog-bff.service ${score:-unreadable}, worse than the recorded $recorded"; exit 1
  fi
  echo "deploy: systemd-analyze security rates deploy/catalog-bff.service $score (recorded: $recorded)"
else
  echo "deploy: systemd-analyze is not installed here; deploy/catalog-bff.service not checked"
fi
