#!/usr/bin/env bash
# Pages rendered without the page cache, at 20 and at 10,000 products (bench/render_cost.py):
# what a render costs, and whether it grows with the catalog.
#   SIZES="20 10000" bench/render-cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
swift build -c release --product catalog-bff >/dev/null
for size in ${SIZES:-20 10000}; do python3 bench/render_cost.py "$size"; done
