# Shared helpers for the integration scripts (POSIX sh).
W=${1:?usage: $0 path/to/wattson}
T=$(mktemp -d /tmp/wattson-it.XXXXXX)
trap 'rm -rf "$T"' EXIT
# Every script gets its own writer lock and run directory (the saved-
# controls journal), so scripts running in parallel never see each
# other's, and nothing is left in /run on the test machine.
export WATTSON_LOCK_FILE="$T/wattson.lock"
export WATTSON_RUN_DIR="$T/run"
# The console's command history goes under $T too, never the tester's home.
export XDG_STATE_HOME="$T/state"
fails=0
checks=0
skips=0
ok() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*" >&2; }
check() { if eval "$1"; then ok; else fail "$2"; fi; }
# skip REASON: a check (or a group of them) that cannot run here; counted
# apart, never as passed.
skip() { skips=$((skips + 1)); echo "SKIP: $*" >&2; }
# finish: the summary line; exit 0 when checks ran and none failed, 1 on a
# failure or when nothing ran, 77 (ctest's SKIP_RETURN_CODE, see
# tests/CMakeLists.txt) when every check was skipped.
finish() {
    echo "$(basename "$0"): $checks checks, $fails failed, $skips skipped" >&2
    if [ "$fails" -gt 0 ]; then exit 1; fi
    if [ "$checks" -eq 0 ] && [ "$skips" -gt 0 ]; then exit 77; fi
    [ "$checks" -gt 0 ]
}
# skip_all REASON: the whole script cannot run here (exit 77).
skip_all() { echo "SKIP: $*" >&2; exit 77; }
# expect_fail CODE PATTERN -- ARGS: exit code, exactly one stderr line
# matching PATTERN, nothing on stdout.
expect_fail() {
    code=$1 pat=$2
    shift 3
    "$W" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" -ne "$code" ]; then
        fail "wattson $*: exit $rc, expected $code ($(cat "$T/err"))"
        return
    fi
    if [ "$(wc -l <"$T/err")" -ne 1 ]; then
        fail "wattson $*: expected one line on stderr, got: $(cat "$T/err")"
        return
    fi
    if ! grep -q -- "$pat" "$T/err"; then
        fail "wattson $*: stderr '$(cat "$T/err")' lacks '$pat'"
        return
    fi
    if [ -s "$T/out" ]; then
        fail "wattson $*: wrote to stdout on failure"
        return
    fi
    ok
}
json() { python3 -c "import json,sys; d=json.loads(sys.stdin.readlines()[-1]); print(d$1)"; }

# filectl_lab DURATION [UTIL FREQ [DEVICE...]]: fresh fake hardware for
# the filectl test plugin under $T/hw (each device, fc0 by default, with
# util UTIL (default 0.05: nearly idle, so policies lower the clock), freq
# FREQ Hz (default 3.5e9) and power_cap 42 W) and $T/lab.lua, a lab of
# that plugin with a 30 W budget, 20 ms ticks and the given duration.
filectl_lab() {
    fl_dur=$1
    fl_util=${2:-0.05}
    fl_freq=${3:-3500000000}
    if [ $# -ge 3 ]; then shift 3; else shift $#; fi
    rm -rf "$T/hw"
    for d in ${*:-fc0}; do
        mkdir -p "$T/hw/$d"
        echo "$fl_util" >"$T/hw/$d/util"
        echo "$fl_freq" >"$T/hw/$d/freq"
        echo 42 >"$T/hw/$d/power_cap"
    done
    cat >"$T/lab.lua" <<LAB
return { tick = "20ms", duration = "$fl_dur", budget_w = 30,
  drivers = { { plugin = "filectl", dir = "$T/hw" } } }
LAB
}
