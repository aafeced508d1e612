#!/usr/bin/env bash
# One request path, two builds: this tree's release build against a reference revision's
# (a git worktree in .build-ref/, built once), both serving the demo catalog, wrk on loopback,
# the two measured in turns so that the machine's state is shared. Prints requests/s and p99
# per round and the median ratio; writes bench/results/against-<rev>.json.
#
#   bench/against-revision.sh REV [path] [seconds] [rounds]
#   bench/against-revision.sh 270d7f8 '/catalog?q=%D1%81%D1%82%D0%B0%D0%BD%D0%BE%D0%BA' 10 3
set -euo pipefail
cd "$(dirname "$0")/.."

rev=${1:?usage: bench/against-revision.sh REV [path] [seconds] [rounds]}
path=${2:-/catalog?q=%D1%81%D1%82%D0%B0%D0%BD%D0%BE%D0%BA}
duration=${3:-10}
rounds=${4:-3}
short=$(git rev-parse --short "$rev")
ref=.build-ref/$short
work=$(mktemp -d)
trap 'kill ${pids:-} 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"; $sudo apt-get install -y -qq wrk >/dev/null; }
scripts/install-deps.sh
swift build -c release --product catalog-bff >/dev/null
if [ ! -x "$ref/.build/release/catalog-bff" ]; then
  [ -d "$ref" ] || git worktree add --detach "$ref" "$rev" >/dev/null
  (cd "$ref" && swift build -c release --product catalog-bff >/dev/null)
fi

start() {  # binary port data-dir → pid (the server runs in its own tree, for its templates)
  mkdir -p "$3"
  (cd "$(dirname "$1")/../.." && exec env PORT="$2" LOG_LEVEL=warning ORDER_RATE_LIMIT=off DATABASE_URL="sqlite://$3/db.sqlite" \
    MAIL_DIR="$3/mail" ASSET_CACHE_DIR="$3/assets" "$1" serve) >"$3/log" 2>&1 &
  echo $!
}
current_pid=$(start "$PWD/.build/release/catalog-bff" 18090 "$work/current")
reference_pid=$(start "$PWD/$ref/.build/release/catalog-bff" 18091 "$work/reference")
pids="$current_pid $reference_pid"
for port in 18090 18091; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf -o /dev/null "http://127.0.0.1:$port$path" || { echo "GET $path failed on port $port"; exit 1; }
done

measure() {  # port → "requests/s p99-ms"
  wrk -t2 -c32 -d"${duration}s" --latency "http://127.0.0.1:$1$path" >"$work/wrk" 2>&1
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$work/wrk")
  echo "$rps $p99"
}
ratios=()
json_rounds=()
for round in $(seq "$rounds"); do
  read -r c_rps c_p99 < <(measure 18090)
  read -r r_rps r_p99 < <(measure 18091)
  ratio=$(awk -v a="$c_rps" -v b="$r_rps" 'BEGIN {printf "%.3f", a / b}')
  ratios+=("$ratio")
  printf "round %d: current %8.0f req/s (p99 %6.2f ms)   %s %8.0f req/s (p99 %6.2f ms)   ratio %s\n" \
    "$round" "$c_rps" "$c_p99" "$short" "$r_rps" "$r_p99" "$ratio"
  json_rounds+=("{\"current_rps\":$c_rps,\"current_p99_ms\":$c_p99,\"reference_rps\":$r_rps,\"reference_p99_ms\":$r_p99}")
done
median=$(printf "%s\n" "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median ratio current/$short: $median  (GET $path, wrk -t2 -c32, ${duration}s × $rounds)"
mkdir -p bench/results
printf '{"reference":"%s","path":"%s","seconds":%s,"rounds":[%s],"median_ratio":%s}\n' \
  "$short" "$path" "$duration" "$(IFS=,; echo "${json_rounds[*]}")" "$median" >"bench/results/against-$short.json"
