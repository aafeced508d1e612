#!/usr/bin/env bash
# Installs the Debian packages catalog-bff needs to build and test, if they are missing.
# Used by `make run` and `make test`, so both work on a fresh machine.
set -euo pipefail

packages=(pkg-config libxml2-dev libcurl4-openssl-dev libsqlite3-dev zlib1g-dev libbrotli-dev libqrencode-dev libstemmer-dev)
# Tests start their own PostgreSQL server (initdb, postgres, pg_isready, psql), drive the
# site in a real browser (headless Chromium and its WebDriver), and read a passport's QR
# code back (rsvg-convert renders the SVG, zbarimg decodes it); promtool (Debian's prometheus)
# lints /metrics and checks and tests the alert rules in deploy/; nginx checks deploy/nginx.conf.
[ "${1:-}" = "--test" ] && packages+=(postgresql postgresql-client chromium chromium-driver librsvg2-bin zbar-tools prometheus nginx-light)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
command -v python3 >/dev/null || missing+=(python3 python3-pip)

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing missing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Test helpers: a real SMTP server (aiosmtpd) with a CA made at test time (cryptography),
# Selenium for the browser test (pointed at Debian's chromedriver, so it downloads nothing), and
# axe-core's bundle (axe-selenium-python) for its accessibility checks.
if [ "${1:-}" = "--test" ] && ! python3 -c "import aiosmtpd, cryptography, selenium, axe_selenium_python" 2>/dev/null; then
  echo "Installing Python test helpers: aiosmtpd cryptography selenium axe-selenium-python"
  python3 -m pip install --quiet --disable-pip-version-check aiosmtpd cryptography selenium axe-selenium-python 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages aiosmtpd cryptography selenium axe-selenium-python
fi
