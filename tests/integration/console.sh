# The console in a real terminal: tmux on a private socket runs
# `wattson --console`, keys go in with send-keys and what is on screen
# comes back with capture-pane.  Every wait polls the screen for the text
# it expects, so how fast the machine is never matters: WAIT_S (seconds)
# only bounds how long a truly broken run takes to fail.  Fixed sleeps are
# used only to show that something does NOT happen (time stands still when
# paused).
. "$TESTS/lib.sh"
P="$WATTSON_TEST_PLUGIN_DIR"
case "$W" in /*) ;; *) W="$(pwd)/$W" ;; esac
if ! command -v tmux >/dev/null 2>&1; then
    skip_all "console.sh: tmux is not installed (scripts/deps.sh installs it)"
fi
WAIT_S=${WAIT_S:-60}
SOCK="wattson-test-$$"
# -u: tmux draws UTF-8; the server's locale is UTF-8 unless a session says
# otherwise.
tm() { LC_ALL=C.UTF-8 LANG=C.UTF-8 tmux -u -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

# start NAME COLS ROWS [ENV=VALUE ...] -- WATTSON-ARGS: a session running
# the console; when wattson exits, the shell prints "EXITED <status>" and
# the terminal's line settings, then waits (the pane stays capturable).
start() {
    name=$1 cols=$2 rows=$3
    shift 3
    envs=""
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        envs="$envs $1"
        shift
    done
    shift
    {
        printf "trap : INT\n"
        printf 'env%s %s' "$envs" "'$W'"
        for a in "$@"; do printf " '%s'" "$a"; done
        printf " 2>'%s'\n" "$T/$name.err"
        printf 'echo "EXITED $?"\n'
        printf 'echo "STTY $(stty -a | tr " ;" "\\n\\n" | grep -E "^-?(echo|icanon|isig)$" | tr "\\n" " ")"\n'
        printf 'exec sleep 600\n'
    } >"$T/$name.run"
    tm new-session -d -s "$name" -x "$cols" -y "$rows" "sh '$T/$name.run'"
}
# SHOT_OPT=-e: with the colours (SGR sequences).
shot() { tm capture-pane -p $SHOT_OPT -t "$1" >"$T/screen" 2>/dev/null; }
# wait_for SESSION ERE: 0 once a line on screen matches.
wait_for() {
    i=0
    while [ $i -lt $((WAIT_S * 20)) ]; do
        shot "$1"
        grep -Eq -- "$2" "$T/screen" && return 0
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}
# wait_gone SESSION ERE: 0 once no line matches.
wait_gone() {
    i=0
    while [ $i -lt $((WAIT_S * 20)) ]; do
        shot "$1"
        grep -Eq -- "$2" "$T/screen" || return 0
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}
dump() { sed 's/^/    | /' "$T/screen" >&2; }
see() { # see SESSION ERE WHAT
    if wait_for "$1" "$2"; then ok; else
        fail "$1: $3: /$2/ never on screen"
        dump
    fi
}
unsee() { # unsee SESSION ERE WHAT
    if wait_gone "$1" "$2"; then ok; else
        fail "$1: $3: /$2/ stays on screen"
        dump
    fi
}
# The lab time in the header (t 1.23/60s, or t 1.23s without an end),
# from the last shot.
simt() { sed -n 's/^wattson lab .* t \([0-9.]*\)[/s].*/\1/p' "$T/screen" | head -n 1; }
alt_on() { tm display-message -p -t "$1" '#{alternate_on}'; }
# restored SESSION WHAT: once wattson has exited, the shell prints the
# terminal's line settings after "EXITED", from another process (stty):
# wait for the whole STTY line (capture-pane drops its trailing blank),
# then none of echo, icanon, isig may be off.
STTY_LINE='^STTY( -?(echo|icanon|isig)){3}'
restored() {
    see "$1" "$STTY_LINE" "$2: the shell printed the line settings"
    check 'grep -Eq "$STTY_LINE" "$T/screen" && ! grep -Eq "^STTY .*-(echo|icanon|isig)( |$)" "$T/screen"' \
        "$1: $2: $(grep '^STTY' "$T/screen")"
}
# clean NAME: the session's stderr has no sanitizer report or crash.
clean() {
    if grep -Eq 'Sanitizer|runtime error|Segmentation|Abort' "$T/$1.err"; then
        fail "$1: stderr: $(head -n 5 "$T/$1.err")"
    else ok; fi
}
quit_ok() { # quit_ok SESSION [KEY]: q (or KEY), then exit 0 with the terminal given back
    qs=$1
    tm send-keys -t "$qs" "${2:-q}"
    see "$qs" '^EXITED 0$' "${2:-q} exits 0"
    check '[ "$(alt_on "$qs")" = 0 ]' "$qs: the alternate screen is gone after q"
    unsee "$qs" '1 Devices' "the console's screen is gone after q"
    restored "$qs" "line settings restored after q"
    clean "$qs"
}

# 1. Panes, values, keys on the default lab (80x24, UTF-8).  A long
#    duration so that `max` does not finish the lab while we look.
start main 80 24 -- --console --duration 1h
see main '^wattson lab default  speed x1 ' "header with lab and speed"
check '[ "$(alt_on main)" = 1 ]' "the console is on the alternate screen"
see main '┌ 1 Devices ─' "Devices pane title"
see main '^│device +kind +util +freq +power +cap +temp +fcst +status' "Devices header row"
see main '^│cpu0 +cpu +[0-9]+% +[0-9.]+G +[0-9.]+W +[0-9.]+W +[0-9]+C +[0-9]+% ok' "a device row cpu0 ... ok"
see main '^│gpu0 +gpu ' "a gpu row"
see main '┌ 2 Power ─' "Power pane title"
see main '│budget [█▒·]+ +[0-9]+/330W' "the budget bar against 330 W"
see main '┌ 3 Load ─' "Load pane title"
see main '┌ 6 Log ─' "Log pane title"
see main '^1 Devices 2 Power 3 Load 4 Q-values 5 Partition 6 Log' "tab line"
see main '^budget 330W  used [0-9.]+W  pred [0-9.]+W  policy builtin:broker: running' "header budget and policy (the default on a sim lab)"

# Budget up and down by 10 W.
tm send-keys -t main B
see main '^budget 340W ' "B: header budget 330W -> 340W"
see main '│budget .*/340W' "B: the Power pane's budget follows"
see main '│ +[0-9.]+ info: budget 340 W' "B: the Log pane says so"
tm send-keys -t main b b
see main '^budget 320W ' "b b: header budget 340W -> 320W"

# The command line: ':budget 275' Enter changes the budget; a bad value is
# named in the Log and changes nothing; 'lua' evaluates against the live
# state in its own sandbox, results in the Log, nothing on stderr.
tm send-keys -t main : 'budget 275' Enter
see main '^budget 275W ' ":budget 275: header budget 320W -> 275W"
see main '│budget .*/275W' ":budget: the Power pane's budget follows"
tm send-keys -t main : 'budget lots' Enter
see main 'budget.*lots' ":budget lots: the Log names the bad argument"
see main '^budget 275W ' ":budget lots: the budget is unchanged"
tm send-keys -t main : 'lua 6*7' Enter
see main '= 42' ":lua 6*7 prints = 42 in the Log"
tm send-keys -t main : 'frobnicate' Enter
see main 'frobnicate' "an unknown command is named in the Log"

# Speed x1 -> x10 -> max -> x10 -> x1 (virtual clock).
tm send-keys -t main +
see main '^wattson lab .*speed x10 ' "+: speed x10"
tm send-keys -t main +
see main '^wattson lab .*speed max ' "+ +: speed max"
tm send-keys -t main -
see main '^wattson lab .*speed x10 ' "-: speed back to x10"
tm send-keys -t main -
see main '^wattson lab .*speed x1 ' "- -: speed back to x1"

# Pause: the lab time stands still; s advances it by exactly one tick.
tm send-keys -t main Space
see main '^wattson lab .*speed paused ' "space: paused"
sleep 0.3
shot main
t0=$(simt)
sleep 0.5
shot main
check '[ -n "$t0" ] && [ "$(simt)" = "$t0" ]' "paused: lab time stands still ($t0 -> $(simt))"
t1=$(awk -v t="$t0" 'BEGIN { printf "%.2f", t + 0.01 }')
tm send-keys -t main s
see main "^wattson lab .*speed paused  t $t1/" "s: one tick (t $t0 -> $t1)"
sleep 0.5
shot main
check '[ "$(simt)" = "$t1" ]' "s: exactly one tick, still t $t1 (is $(simt))"
t2=$(awk -v t="$t1" 'BEGIN { printf "%.2f", t + 0.01 }')
tm send-keys -t main s
see main "^wattson lab .*speed paused  t $t2/" "s again: the next tick (t $t2)"
tm send-keys -t main Space
see main '^wattson lab .*speed x1 ' "space: running again"

# Help overlay; any key closes it.
tm send-keys -t main '?'
see main 'Help: keys' "?: the help overlay"
see main 'q +F10 +quit' "help lists q and F10"
see main 'b / B +budget' "help lists b / B"
tm send-keys -t main x
unsee main 'Help: keys' "any key closes the help"
# F1 and h open it too, as in htop; it has a legend of the colours and of
# the bar glyphs, and scrolls (the commands come after the legend).
tm send-keys -t main F1
see main 'Help: keys' "F1: the help overlay"
see main '│ Legend ' "the help has a legend"
see main '│ █ ▒ · +bars: power used, predicted beyond it' "the legend says what ▒ is"
tm send-keys -t main PageDown
see main '│ colours +green ok, yellow warning' "PageDown: the legend says what the colours are"
tm send-keys -t main PageDown
see main '│ Commands \(after :\)' "PageDown scrolls the help to the commands"
check 'grep -q "Help: keys" "$T/screen"' "PageDown does not close the help"
tm send-keys -t main Escape
unsee main 'Help: keys' "Esc closes the help"
tm send-keys -t main h
see main 'Help: keys' "h: the help overlay"
tm send-keys -t main Escape
unsee main 'Help: keys' "Esc closes it again"

# Enter: the selected device's detail (signals, controls with proposal,
# decision, target, applied; the forecast); Esc closes it.
tm send-keys -t main 1 Enter
see main '┌ cpu0 \(Esc closes\)' "Enter: cpu0's detail"
see main '│ +util +0\.[0-9]+ ' "the detail lists the signals"
tm send-keys -t main End
see main '│ control +proposal +decision +target +applied +range' "the detail's control columns"
see main '│ +freq +[0-9.]+ GHz +[0-9.]+ GHz' "the freq control's values"
see main '│ forecast, [0-9]+ ticks? ahead' "the detail's forecast"
tm send-keys -t main Escape
unsee main 'Esc closes' "Esc closes the detail"

# The Load pane: the forecasts made for each moment on the same time axis
# as the utilisation, then a now mark and the forecast ahead; fcst is
# labelled as demand over capacity.
see main '│device util +fcst\|ahead now/fcst' "Load: the columns say fcst and ahead"
see main '┌ 3 Load ─+ fcst: demand/capacity ─' "Load's caption labels fcst"
see main '┌ 1 Devices ─+ fcst: forecast demand/capacity' "Devices' caption labels fcst"
see main '││cpu0 +[^ ]+ +[^ ]*│[^ ]+ +[0-9]+/[0-9]+%' "Load: a now mark between the past and the forecast ahead"

# The Log pane: a line longer than the pane is read whole with Enter;
# Up selects older lines (the pane then says how many are newer), End
# follows the newest again.
tm send-keys -t main : 'lua 6*7' Enter
see main '= 42' "a line in the Log"
tm send-keys -t main : "lua error('/lab/policies/' .. string.rep('deep/', 16) .. 'end.lua:12: boom')" Enter
see main 'warning: .*/lab/policies/deep/' "the long line in the Log pane"
check '! grep -q "end.lua:12: boom" "$T/screen"' "the Log pane cuts the long line"
tm send-keys -t main 6 Enter
see main '┌ Log line \(Esc closes\)' "Enter in Log: the line's detail"
see main 'end\.lua:12: boom' "the detail shows the whole line"
tm send-keys -t main Escape
unsee main 'Log line' "Esc closes it"
tm send-keys -t main Up
see main '│\+1 newer \(End follows' "Up: a line selected, one newer"
tm send-keys -t main Enter
see main '┌ Log line \(Esc closes\)' "Enter: the selected older line"
check 'grep -q "info: = 42" "$T/screen" && ! grep -q "boom" "$T/screen"' "the detail is the older line (= 42)"
tm send-keys -t main Escape End
unsee main 'newer \(End follows' "End: following again"
tm send-keys -t main 1

# Zoom the Power pane, and back.
tm send-keys -t main 2 z
see main '┌ 2 Power \(zoom\) ─' "z: Power zoomed"
unsee main '┌ 1 Devices' "z: other panes hidden"
tm send-keys -t main z
see main '┌ 1 Devices ─' "z again: back to the layout"
unsee main '\(zoom\)' "z again: no zoom"
quit_ok main F10

# 2. A Lua policy edited while the console runs (a wide terminal so the
#    Log pane shows the whole error).  v1 sets cpu0 to 2.2 GHz, v2 2.8.
pol() { printf 'return { api = 1, on_tick = function(s, o) o.cpu0.freq = %s end }\n' "$1"; }
pol 2.2e9 >"$T/pol.lua"
start pol 200 30 -- --console --policy "$T/pol.lua" --out "$T/pol.jsonl"
see pol 'policy pol\.lua v1: running' "policy v1 running"
see pol '^│cpu0 +cpu +[0-9]+% +2\.20G ' "v1 decides: cpu0 at 2.20G"
printf 'return { api = 1, on_tick = function(s, o) o.cpu0.freq = = 1 end }\n' >"$T/pol.lua"
see pol 'policy pol\.lua v1: rejected: .*pol\.lua' "broken save: rejected: in the header, still v1"
see pol '│ +[0-9.]+ warning: reload rejected, the previous version keeps deciding: .*pol\.lua:1:.*near' "broken save: the error in the Log pane"
shot pol
t0=$(simt)
i=0
while [ $i -lt $((WAIT_S * 20)) ]; do # a second of lab time after the rejection
    shot pol
    awk -v a="$(simt)" -v b="$t0" 'BEGIN { exit !(a >= b + 1) }' && break
    sleep 0.05
    i=$((i + 1))
done
check '[ $i -lt $((WAIT_S * 20)) ]' "a second of lab time passes after the rejection (t $t0 -> $(simt))"
check 'grep -Eq "^│cpu0 +cpu +[0-9]+% +2\.20G " "$T/screen" && grep -q "v1: rejected" "$T/screen"' \
    "after the rejection v1 keeps deciding (cpu0 2.20G)"
[ $i -lt $((WAIT_S * 20)) ] || dump
pol 2.8e9 >"$T/pol.lua"
see pol 'policy pol\.lua v2: reloaded' "good save: v2: reloaded"
see pol '^│cpu0 +cpu +[0-9]+% +2\.80G ' "v2 decides: cpu0 at 2.80G"
quit_ok pol
check 'grep -q "\"set.freq\":2.2e+09" "$T/pol.jsonl" && grep -q "\"set.freq\":2.8e+09" "$T/pol.jsonl"' \
    "the trace has v1's and v2's decisions"
check 'tail -n 1 "$T/pol.jsonl" | grep -q "\"interrupted\":false"' "the trace is complete after q"

# 3. Controls restored on q and on Ctrl-C (filectl: controls in files).
setup_hw() {
    filectl_lab 1h
}
wait_write() {
    i=0
    while [ $i -lt $((WAIT_S * 10)) ] && [ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}
setup_hw
start hwq 80 24 -- --console --lab "$T/lab.lua" --allow-writes --plugin-dir "$P"
see hwq '┌ 1 Devices ─' "filectl lab on screen"
see hwq '^│fc0 ' "the filectl device row"
wait_write
check '[ "$(cat "$T/hw/fc0/freq")" != 3500000000 ]' "q: the console's run wrote a new freq"
quit_ok hwq
check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]' "q: freq restored (is $(cat "$T/hw/fc0/freq"))"
check '[ "$(cat "$T/hw/fc0/power_cap")" = 42 ]' "q: power_cap restored"

setup_hw
start hwc 80 24 -- --console --lab "$T/lab.lua" --allow-writes --plugin-dir "$P"
see hwc '┌ 1 Devices ─' "filectl lab on screen (Ctrl-C)"
wait_write
check '[ "$(cat "$T/hw/fc0/freq")" != 3500000000 ]' "Ctrl-C: the console's run wrote a new freq"
tm send-keys -t hwc C-c
see hwc '^EXITED 130$' "Ctrl-C exits 130"
check '[ "$(alt_on hwc)" = 0 ]' "Ctrl-C: the alternate screen is gone"
restored hwc "Ctrl-C: line settings restored"
check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]' "Ctrl-C: freq restored (is $(cat "$T/hw/fc0/freq"))"
check '[ "$(cat "$T/hw/fc0/power_cap")" = 42 ]' "Ctrl-C: power_cap restored"
clean hwc

# 4. Small terminals: 60x20 works; 30x8 says so, and reflows when the
#    terminal grows.
start small 60 20 -- --console
see small '^wattson lab default' "60x20: header"
see small '┌ 1 Devices ─' "60x20: Devices"
see small '^│cpu0 +[0-9]+% ' "60x20: a device row (narrow: no kind column)"
see small '^1 .*\? help.* q quit$' "60x20: the footer keeps the quit hint"
tm send-keys -t small Tab Tab Tab
see small '┌ 4 Q-values ─' "60x20: focusing Q-values brings it on screen"
see small 'no agents loaded' "60x20: Q-values' empty state"
see small '└─ \+3 more \(Up/Down\) ─' "60x20: Devices cut to 4 of 7 rows says +3 more"
see small '^1 2 3 4 Q-values 5 6 .* q quit$' "60x20: the tabs shorten, the quit hint stays"
tm send-keys -t small j j j j j j
see small '└─ \+3 above \(Up/Down\) ─' "60x20: the selection scrolls the list to its end"
see small '^│fpga0 ' "60x20: the last device on screen"
quit_ok small

start tiny 30 8 -- --console
see tiny '^terminal too small \(30x8\)' "30x8: terminal too small"
unsee tiny '1 Devices' "30x8: no panes"
tm resize-window -t tiny -x 80 -y 24
see tiny '┌ 1 Devices ─' "30x8 -> 80x24: reflows to the panes"
quit_ok tiny

# 4b. Power over the cap is red in the Devices table; controls held by
#     `set` are marked; the detail says so.  cpu0 at full load cannot
#     hold a 2 W cap (its lowest clock draws more).
cat >"$T/hot.lua" <<'EOF'
return { name = 'hot', tick = 0.01, duration = 60, seed = 1, budget_w = 100,
  drivers = { { plugin = 'sim', devices = {
    { name = 'cpu0', kind = 'cpu', part = 'zen3-core', priority = 2,
      workload = { kind = 'constant', level = 1.0 } },
    { name = 'cpu1', kind = 'cpu', part = 'zen3-core', priority = 1,
      workload = { kind = 'constant', level = 0.3 } } } } } }
EOF
start hot 100 30 -- --console --lab "$T/hot.lua" --duration 1h
see hot '^│cpu0 +cpu ' "hot lab on screen"
tm send-keys -t hot : 'set cpu0 power_cap 2' Enter
tm send-keys -t hot : 'set cpu1 freq 2e9' Enter
see hot '^│cpu0 +cpu +[0-9]+% +[0-9.]+G +[0-9.]+W +2\.0W\* .* set cap' "set cap: marked * and status set cap"
see hot '^│cpu1 +cpu +[0-9]+% +[0-9.]+G\* .* set freq' "set freq: marked * and status set freq"
# red: SGR 31, then maybe other attributes, then the value
ESC=$(printf '\033')
RED="\\[([0-9]+;)*31m($ESC\\[[0-9;]*m)* +[0-9.]+W"
SHOT_OPT=-e
see hot "cpu0.*$RED" "cpu0's power over its cap is red"
check '! grep -Eq "cpu1.*$RED" "$T/screen"' "cpu1's power (under its cap) is not red"
SHOT_OPT=
tm send-keys -t hot Enter End
see hot '│ +\* set 2 W by hand \(`set cpu0 power_cap auto`\)' "the detail names the override"
see hot 'over its cap' "the detail says power is over its cap"
tm send-keys -t hot Escape : 'set cpu1 freq auto' Enter
unsee hot 'set freq' "set ... auto: the mark goes"
quit_ok hot

# 5. A non-UTF-8 locale: ASCII boxes, bars and sparklines.
start ascii 80 24 LANG=C LC_ALL=C -- --console
see ascii '^\+ 1 Devices -+ fcst: .* -\+$' "C locale: +- box with the title"
see ascii '^\|cpu0 +cpu ' "C locale: | sides"
see ascii '^\|budget [#+.]+ +[0-9]+/330W' "C locale: ASCII budget bar"
shot ascii
check '! grep -q "[│─┌█▒·▁▂▃▄▅▆▇]" "$T/screen"' "C locale: no UTF-8 drawing characters"
quit_ok ascii

# 6. A baseline by name, and the broker's latest adjustment in the header.
start base 160 30 -- --console --policy builtin:broker
see base 'policy builtin:broker: running' "header names builtin:broker"
see base 'broker: [a-z0-9]+ P-?[0-9]+>P[0-9]+ (first proposal|demand up|demand down|budget|thermal headroom)' \
    "header shows the broker's latest adjustment and its reason"
quit_ok base

# 7. A first version's on_load log reaches the Log pane (it ran before
#    the console took the screen).
printf 'return { api = 1, on_load = function(ctx) log("warn", "hello from on_load") end,\n  on_tick = function(s, o) end }\n' >"$T/onload.lua"
start onload 100 24 -- --console --duration 1h --policy "$T/onload.lua"
see onload '│ +0\.00 warning: .*onload\.lua.*hello from on_load' "the first on_load's log line is in the Log pane"
quit_ok onload

# 8. Tab completes in a real terminal; the command history outlives the
#    session (kept under $XDG_STATE_HOME, which lib.sh points into $T).
start hist1 100 24 "XDG_STATE_HOME=$T/hstate" -- --console --duration 1h
see hist1 '┌ 1 Devices ─' "history: first session up"
tm send-keys -t hist1 : 'bu' Tab '280' Enter
see hist1 'info: budget 280 W' ":bu<Tab>280 completes to budget 280"
quit_ok hist1
check '[ "$(cat "$T/hstate/wattson/history")" = "budget 280" ]' "history saved: $(cat "$T/hstate/wattson/history" 2>&1)"
start hist2 100 24 "XDG_STATE_HOME=$T/hstate" -- --console --duration 1h
see hist2 '┌ 1 Devices ─' "history: second session up"
tm send-keys -t hist2 : Up
see hist2 '^:budget 280' "Up recalls the last session's command"
tm send-keys -t hist2 Escape
quit_ok hist2

# 9. Without --duration the console runs past the lab's 60 s until q,
#    and quitting prints the run's summary.
start open 100 24 -- --console
see open '^wattson lab default  speed x1  t [0-9.]+s ' "no duration: the header shows no end"
tm send-keys -t open + +
see open '^wattson lab .*speed max  t ([6-9][0-9]|[0-9]{3,})\.[0-9]+s ' "no duration: runs past 60 s"
shot open
check '! grep -q "finished" "$T/screen"' "no duration: not finished after 60 s"
tm send-keys -t open q
see open '^EXITED 0$' "no duration: q exits 0"
see open '"type":"summary"' "quitting prints the run's summary"
shot open
check 'grep -Eq "\"sim_seconds\":([6-9][0-9]|[0-9]{3,})" "$T/screen"' "the summary covers the whole session (> 60 s)"
clean open

# 10. The Partition pane on the cluster lab (a training pipeline over its
#     devices, engines/partrun.c): the model, the bottleneck predicted and
#     measured, a row per stage with its device, compute, link and
#     measured times and a bar; the slowest marked.
start part 120 40 -- --console --lab "$WATTSON_SOURCE_DIR/lua-policies/labs/cluster.lua" --duration 1h
see part '┌ 5 Partition ─' "Partition pane title"
see part '│resnet50 [0-9.]+ ms \(meas\. [0-9.]+\) bound [0-9.]+ [0-9]+ moves?' "the model, its bottleneck measured and its bound"
see part '│stage +device +compute +link +meas\.' "the stages' header"
see part '│node[0-9.]+ +(v100a|v100b|t4a|t4b|node2|host) +[0-9.]+ +[0-9.]+ +[0-9.]+ [█▒·]+' "a stage row with its device, times and bar"
see part '[█▒·]+(◀)' "the bottleneck marked"
quit_ok part

# 11. The GPU pane on the GPU tenants' lab (engines/vgpu.c): the mode and
#     reallocations, a row per tenant with its GPU, use, share, predicted
#     need, memory and its share, power, performance against its SLO and
#     a bar; focused with 8.
start gp 130 50 -- --console --lab "$WATTSON_SOURCE_DIR/lua-policies/labs/gpu-tenants.lua" --duration 1h
tm send-keys -t gp 8
see gp '┌ 8 GPU ─' "GPU pane title"
see gp '│predictive [0-9]+ reallocs? [0-9]+ phase changes' "the mode, reallocations, phase changes"
see gp '│tenant +gpu +use +share +pred +memGB +of +W +perf/SLO' "the tenants' header"
see gp '│render +gpu0 +[0-9]+% +[0-9]+% +([0-9]+%|-) +[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+fps/55 [█▒·]+' "the renderer's row: use, share, prediction, memory, power, fps against 55, a bar"
see gp '│serve-b +gpu1 +[0-9]+% .* [0-9]+ms/50' "a server on the T4 with its latency against 50 ms"
# A signal that never reads valid (the sim GPU's look-ahead with tenants)
# is no "invalid reading": the GPUs are ok.
see gp '^│gpu0 +gpu +[0-9]+% .* ok +│' "gpu0 ok, not 'invalid reading'"
quit_ok gp
# 12. `wattson trace --console`: the traced command's output lines in
#     the Log pane, its messages taken (the IPC events placed on the lab's
#     cores), the run finishing when it exits; q then exits with its status.
start tr 120 40 -- trace --console -- sh -c 'echo hello-from-cmd; dd if=/dev/zero bs=64k count=64 status=none | gzip -1 | wc -c; echo cmd-done'
see tr '┌ 6 Log ─' "trace: the console"
see tr 'sh: hello-from-cmd' "trace: CMD's output in the Log pane"
see tr 'sh: cmd-done' "trace: CMD's last line"
see tr 'finished' "trace: the run ends when CMD exits"
quit_ok tr
finish
