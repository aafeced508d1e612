#!/usr/bin/env bash
# 10,000 products from a loopback Directus (bench/fake_directus.py): start-up, a crawl of every
# list page and 2,000 product pages, RSS after it, and a cold burst of 500 (bench/large_catalog.py).
#   PRODUCTS=10000 PRODUCT_PAGES=2000 bench/large-catalog.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product catalog-bff >/dev/null
exec python3 bench/large_catalog.py
