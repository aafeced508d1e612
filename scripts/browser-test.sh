#!/usr/bin/env bash
# Real-browser end-to-end test (headless Chromium + Selenium) against a built server binary.
# Usage: scripts/browser-test.sh [path/to/catalog-bff]   (needs: scripts/install-deps.sh --test)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Tests/Browser/browser_test.py --binary "${1:-.build/debug/catalog-bff}" --out .build/browser-test
