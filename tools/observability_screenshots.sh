#!/bin/sh
# Takes the screenshots in docs/images/ with headless Chromium (installed with apt when missing),
# from the running local stack: Prometheus graphs of the overview dashboard's queries and the trace
# viewer showing one trace. Run `cargo run -p clipfed -- observe` first; it prints the like's trace
# id, which is this script's argument.
#
# Usage: tools/observability_screenshots.sh TRACE_ID
set -eu
trace_id=${1:?usage: $0 TRACE_ID (printed by clipfed observe)}
out=$(cd "$(dirname "$0")/.." && pwd)/docs/images
mkdir -p "$out"
command -v chromium >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

shot() { # FILE URL
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1000 \
        --virtual-time-budget=15000 --screenshot="$out/$1" "$2" 2>/dev/null
    echo "wrote docs/images/$1"
}
graph() { # FILE EXPR
    expr=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$2")
    shot "$1" "http://127.0.0.1:9090/graph?g0.expr=$expr&g0.tab=0&g0.range_input=15m"
}

graph prometheus-requests.png 'sum by (job) (rate(http_server_request_duration_seconds_count[1m]))'
graph prometheus-p99.png 'histogram_quantile(0.99, sum by (job, le) (rate(http_server_request_duration_seconds_bucket[1m])))'
graph prometheus-lag.png 'max by (messaging_consumer_group_name, messaging_destination_name, messaging_destination_partition_id) (messaging_kafka_consumer_lag)'
project=$(curl -s http://127.0.0.1:6006/v1/projects | python3 -c 'import json, sys; print(next(p["id"] for p in json.load(sys.stdin)["data"] if p["name"] == "default"))')
shot phoenix-like-trace.png "http://127.0.0.1:6006/projects/$project/traces/$trace_id"
