#!/bin/sh
# wattson report in a real browser: Debian's chromium, headless, opens
# the report of a real run (the cluster lab) and a comparison of two runs
# of the default lab, with its console logged: any console message (a
# script error, a blocked or failed fetch: the page's CSP forbids them
# all), "Uncaught" or a network error fails.  The screenshot is decoded
# (pngcheck.py) and each chart found by its frame must hold pixels of the
# series' colours; the page must not be blank.  The detector is first
# shown a page that does fetch and script, and must catch it.
. "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")
command -v chromium >/dev/null 2>&1 ||
    skip_all "chromium not installed (scripts/deps.sh installs it)"
# The palette's series colours (cmd/rplot.c), without its greys.
COLOURS="#1f77b4 #ff7f0e #9467bd #8c564b #e377c2 #bcbd22 #17becf #aec7e8
#ffbb78 #c5b0d5 #c49c94 #f7b6d2 #dbdb8d #9edae5"

# shot HTML PNG: chromium's screenshot of HTML; its log in PNG.log
shot() {
    rm -rf "$T/profile"
    # the wrapper script of Debian's chromium reads the environment; a
    # HOME of our own keeps its files under $T
    HOME=$T timeout 120 chromium --headless --no-sandbox --disable-gpu \
        --user-data-dir="$T/profile" --window-size=1200,3000 \
        --enable-logging=stderr --v=0 --screenshot="$2" "file://$1" \
        >"$2.log" 2>&1
}
# console_clean LOG: no console message, uncaught error or failed load
console_clean() {
    ! grep -E ':CONSOLE|Uncaught|net::ERR|Failed to load|Refused to' "$1"
}

# The detector catches a page that fetches and scripts.
cat >"$T/bad.html" <<'HTML'
<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy"
content="default-src 'none'"></head><body><img src="http://example.invalid/x.png">
<script>undefined_fn();</script></body></html>
HTML
shot "$T/bad.html" "$T/bad.png"
check '! console_clean "$T/bad.png.log" >/dev/null' \
    "the console check missed a page that fetches and scripts"

"$W" run -q --lab "$WATTSON_SOURCE_DIR/lua-policies/labs/cluster.lua" \
    --duration 10s --out "$T/cluster.jsonl" >/dev/null 2>"$T/run.err"
"$W" run -q --duration 10s --out "$T/a.jsonl" >/dev/null 2>>"$T/run.err"
"$W" run -q --duration 10s --policy builtin:schedutil --out "$T/b.jsonl" \
    >/dev/null 2>>"$T/run.err"
check '[ -s "$T/cluster.jsonl" ] && [ -s "$T/a.jsonl" ] && [ -s "$T/b.jsonl" ]' \
    "runs failed: $(cat "$T/run.err")"
"$W" report "$T/cluster.jsonl" 2>"$T/err" &&
    "$W" report "$T/a.jsonl" "$T/b.jsonl" -o "$T/cmp.html" 2>>"$T/err"
check '[ $? -eq 0 ]' "report failed: $(cat "$T/err")"

for page in cluster cmp; do
    shot "$T/$page.html" "$T/$page.png"
    check '[ -s "$T/$page.png" ]' "$page: no screenshot: $(tail -3 "$T/$page.png.log")"
    check 'console_clean "$T/$page.png.log"' "$page: console errors"
    # shellcheck disable=SC2086
    check 'python3 "$HERE/pngcheck.py" "$T/$page.png" $COLOURS >&2' \
        "$page: the charts did not render"
done
# the DOM chromium built holds every chart
HOME=$T timeout 120 chromium --headless --no-sandbox --disable-gpu \
    --user-data-dir="$T/profile" --dump-dom "file://$T/cmp.html" \
    >"$T/dom.html" 2>/dev/null
n_src=$(grep -c '<svg' "$T/cmp.html")
n_dom=$(grep -o '<svg' "$T/dom.html" | wc -l)
check '[ "$n_dom" -ge 8 ] && [ "$n_dom" -eq "$n_src" ]' \
    "the browser's DOM has $n_dom charts, the page $n_src"
finish
