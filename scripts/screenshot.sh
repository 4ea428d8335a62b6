#!/bin/sh
# Captures the console in a real terminal (tmux, a private server) and
# writes it as an SVG image, for the README:
#   scripts/screenshot.sh [OUT.svg [COLS ROWS [SECONDS [WATTSON-ARGS...]]]]
# defaults: docs/console.svg, 100x32, after 9 s of
#   --console --duration 1h --policy lua-policies/balanced.lua
set -eu
cd "$(dirname "$0")/.."
out=${1:-docs/console.svg}
cols=${2:-100}
rows=${3:-32}
wait_s=${4:-9}
[ $# -gt 4 ] && shift 4 || set -- --console --duration 1h --policy lua-policies/balanced.lua
W=$(pwd)/build/wattson
[ -x "$W" ] || { echo "screenshot.sh: build/wattson missing (make build)" >&2; exit 1; }
command -v tmux >/dev/null || { echo "screenshot.sh: tmux missing (scripts/deps.sh)" >&2; exit 1; }
sock="wattson-shot-$$"
state=$(mktemp -d)
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$state"' EXIT
cmd="XDG_STATE_HOME='$state' '$W'"
for a in "$@"; do cmd="$cmd '$a'"; done
LC_ALL=C.UTF-8 LANG=C.UTF-8 tmux -u -L "$sock" -f /dev/null new-session -d \
    -x "$cols" -y "$rows" "$cmd"
sleep "$wait_s"
tmux -L "$sock" capture-pane -e -p >"$state/screen"
python3 scripts/screenshot.py "$cols" "$rows" <"$state/screen" >"$out"
echo "screenshot.sh: wrote $out" >&2
