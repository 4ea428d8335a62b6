#!/bin/sh
# Regenerates docs/report.png, the README's picture of `wattson report`:
# a real 20 s run of the cluster lab, its report, and Debian chromium's
# headless screenshot of the page's top (1000 x 1500 pixels).
#   scripts/report-shot.sh [BUILD]      (default: build)
set -eu
build=$(cd "${1:-build}" && pwd)
src=$(pwd)
tmp=$(mktemp -d /tmp/wattson-shot.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# run in $tmp, so the page names the trace as cluster.jsonl
(cd "$tmp" && "$build/wattson" run -q --lab "$src/lua-policies/labs/cluster.lua" \
    --duration 20s --out cluster.jsonl >/dev/null &&
    "$build/wattson" report cluster.jsonl -o report.html)
HOME=$tmp chromium --headless --no-sandbox --disable-gpu \
    --user-data-dir="$tmp/profile" --window-size=1000,1500 \
    --screenshot="$tmp/report.png" "file://$tmp/report.html" >/dev/null 2>&1
cp "$tmp/report.png" "$src/docs/report.png"
echo "docs/report.png: $(wc -c <docs/report.png) bytes"
