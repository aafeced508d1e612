#!/usr/bin/env bash
# Installs the Debian packages catalog-bff needs to build and test, if they are missing.
# Used by `make run` and `make test`, so both work on a fresh machine.
set -euo pipefail

packages=(pkg-config libxml2-dev libcurl4-openssl-dev libsqlite3-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing system packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
