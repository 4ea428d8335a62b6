# Device faults on real-hardware-like drivers (issue #6): the filectl test
# plugin keeps its controls in files like sysfs and emulates what a real
# driver reports (tests/plugins/filectl.c): fc0/deny makes a write fail
# with permission denied, fc0/reject refuses values above its number, and
# a device directory removed mid-run is a vanished device.  Each gives one
# clear line on stderr naming the device and control, the device in the
# summary's device_faults, and the run goes on to its end with exit 0; the
# other device (fc1) keeps being written.
. "$TESTS/lib.sh"
P="$WATTSON_TEST_PLUGIN_DIR"

# setup UTIL FREQ: fc0 and fc1 with those readings, power_cap 42.
setup() {
    filectl_lab 1s "$1" "$2" fc0 fc1
}
# faults NAME: the summary's device_faults as JSON, keys sorted.
faults() { json '["device_faults"]' <"$T/$1.sum" | tr "'" '"'; }

# No fault: an empty object.
setup 0.05 3500000000
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" >"$T/ok.sum" 2>"$T/ok.err"
check '[ $? -eq 0 ]' "clean run: $(cat "$T/ok.err")"
check 'grep -q "\"device_faults\":{}" "$T/ok.sum"' "clean run: device_faults is {}: $(cat "$T/ok.sum")"

# 1. Permission denied on fc0: one line naming fc0.freq, fc0 marked and
#    written no more; fc1 is still written; the run completes its 50 ticks.
setup 0.05 3500000000
: >"$T/hw/fc0/deny"
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --out "$T/perm.jsonl" \
    >"$T/perm.sum" 2>"$T/perm.err"
rc=$?
check '[ $rc -eq 0 ]' "perm: exit 0, got $rc ($(cat "$T/perm.err"))"
check 'grep -q "fc0\.freq: permission denied writing .*(device marked.*the run continues)" "$T/perm.err"' \
    "perm: stderr names fc0.freq: $(cat "$T/perm.err")"
check '[ "$(grep -c "permission denied" "$T/perm.err")" -eq 1 ]' "perm: said once: $(cat "$T/perm.err")"
check '[ "$(faults perm)" = "{\"fc0\": \"permission denied writing freq\"}" ]' \
    "perm: device_faults names fc0: $(faults perm)"
check '[ "$(json "[\"ticks\"]" <"$T/perm.sum")" = 50 ] && [ "$(json "[\"interrupted\"]" <"$T/perm.sum")" = False ]' \
    "perm: the run completed its duration: $(cat "$T/perm.sum")"
check '[ "$(json "[\"driver_errors\"]" <"$T/perm.sum")" -ge 1 ]' "perm: driver_errors counted"
check 'tail -n 1 "$T/perm.jsonl" | grep -q "\"device_faults\":{\"fc0\":\"permission denied writing freq\"}"' \
    "perm: the trace's summary has device_faults too"
# Not hammered: the failing batch (freq, power_cap) and one retry of freq.
check '[ "$(grep -c "^DENIED" "$T/hw/writes.log")" -le 3 ]' \
    "perm: fc0 not written again: $(grep -c "^DENIED" "$T/hw/writes.log") denied writes"
check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]' "perm: fc0/freq untouched"
check 'grep -q "^fc1\.freq 8" "$T/hw/writes.log"' "perm: fc1 was still written: $(cat "$T/hw/writes.log")"
check '[ "$(cat "$T/hw/fc1/freq")" = 3500000000 ]' "perm: fc1 restored at the end"
check '! grep -q VIOLATION "$T/hw/writes.log"' "perm: no out-of-range write"

# 2. fc0's directory removed mid-run: marked vanished, the run goes on to
#    its end (150 ticks), fc1 still works, and a control of a vanished
#    device is no restore failure (exit 0).
setup 0.05 3500000000
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 3s \
    >"$T/gone.sum" 2>"$T/gone.err" &
pid=$!
i=0
while [ $i -lt 200 ] && [ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]; do
    sleep 0.1; i=$((i + 1))
done
check '[ "$(cat "$T/hw/fc0/freq")" != 3500000000 ]' "gone: wattson wrote fc0 first"
rm -rf "$T/hw/fc0"
wait $pid
rc=$?
check '[ $rc -eq 0 ]' "gone: exit 0, got $rc ($(cat "$T/gone.err"))"
check 'grep -q "fc0.*vanished.*(device marked.*the run continues)" "$T/gone.err"' \
    "gone: stderr says fc0 vanished: $(cat "$T/gone.err")"
check 'json "[\"device_faults\"][\"fc0\"]" <"$T/gone.sum" | grep -q "^vanished"' \
    "gone: device_faults marks fc0 vanished: $(faults gone)"
check '[ "$(json "[\"ticks\"]" <"$T/gone.sum")" = 150 ]' "gone: the run completed: $(cat "$T/gone.sum")"
check '[ "$(grep -c "^GONE" "$T/hw/writes.log")" -le 3 ]' \
    "gone: fc0 not written again: $(grep -c "^GONE" "$T/hw/writes.log")"
check '[ "$(cat "$T/hw/fc1/freq")" = 3500000000 ] && [ "$(cat "$T/hw/fc1/power_cap")" = 42 ]' \
    "gone: fc1 restored"
check '! grep -q "could not be restored" "$T/gone.err"' "gone: no restore failure: $(cat "$T/gone.err")"

# ... read-only, the readings alone tell: no valid reading for 3 ticks after
# having had some; back again, it reads again and the summary keeps the mark.
setup 0.05 3500000000
"$W" run -v --lab "$T/lab.lua" --plugin-dir "$P" --duration 3s \
    >"$T/ro.sum" 2>"$T/ro.err" &
pid=$!
sleep 0.8
mv "$T/hw/fc0" "$T/fc0.away"
sleep 1
mv "$T/fc0.away" "$T/hw/fc0"
wait $pid
rc=$?
check '[ $rc -eq 0 ]' "read-only gone: exit 0, got $rc ($(cat "$T/ro.err"))"
check 'grep -q "fc0: device vanished: no valid reading for 3 ticks" "$T/ro.err"' \
    "read-only gone: marked from its readings: $(cat "$T/ro.err")"
check 'grep -q "fc0: valid readings again" "$T/ro.err"' "read-only gone: back: $(cat "$T/ro.err")"
check '[ "$(faults ro)" = "{\"fc0\": \"vanished (no valid reading)\"}" ]' \
    "read-only gone: the summary keeps the mark: $(faults ro)"
check '[ ! -s "$T/hw/writes.log" ]' "read-only gone: nothing written"

# 3. A value the driver rejects: fc0 busy, so the policy raises its clock
#    past fc0/reject; the value is refused once and not written again.
setup 1.0 1000000000
echo 2e9 >"$T/hw/fc0/reject"
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" >"$T/rej.sum" 2>"$T/rej.err"
rc=$?
check '[ $rc -eq 0 ]' "rejected: exit 0, got $rc ($(cat "$T/rej.err"))"
check 'grep -q "fc0\.freq: value rejected writing .*(device marked.*the run continues)" "$T/rej.err"' \
    "rejected: stderr names fc0.freq: $(cat "$T/rej.err")"
check '[ "$(faults rej)" = "{\"fc0\": \"value rejected writing freq\"}" ]' \
    "rejected: device_faults names fc0: $(faults rej)"
check '[ "$(json "[\"ticks\"]" <"$T/rej.sum")" = 50 ]' "rejected: the run completed"
check 'grep -q "^REJECTED freq" "$T/hw/writes.log"' "rejected: a value was refused: $(cat "$T/hw/writes.log")"
# (a value is tried at most twice: in its batch, then alone to find it)
check '[ -z "$(grep "^REJECTED" "$T/hw/writes.log" | sort | uniq -c | awk "\$1 > 2")" ]' \
    "rejected: a refused value is not written again: $(grep "^REJECTED" "$T/hw/writes.log" | sort | uniq -c)"
check '[ "$(cat "$T/hw/fc0/freq")" = 1000000000 ]' "rejected: fc0 restored"

# 3b. A plain write error (fc0/fail: EIO-like, nothing to mark): not
#     written every tick but after 1, 2, 4, ... ticks, with one warning;
#     fc1 is written all along.  Over 250 ticks, every-tick retries would
#     be hundreds of attempts; the back-off makes it about 8 tries, each
#     a batch and a lone retry.
setup 1.0 1000000000
: >"$T/hw/fc0/fail"
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 5s \
    >"$T/fail.sum" 2>"$T/fail.err"
rc=$?
check '[ $rc -eq 0 ]' "plain error: exit 0, got $rc ($(cat "$T/fail.err"))"
tries=$(grep -c "^FAILED freq" "$T/hw/writes.log")
check '[ "$tries" -ge 4 ] && [ "$tries" -le 24 ]' \
    "plain error: fc0.freq tried $tries times in 250 ticks (back-off)"
check 'grep -q "fc0\.freq: writes keep failing (-1); retrying at growing intervals" "$T/fail.err"' \
    "plain error: the back-off is said: $(cat "$T/fail.err")"
check '[ "$(grep -c "writes keep failing" "$T/fail.err")" -le 2 ]' "plain error: said once per control"
check '[ "$(faults fail)" = "{}" ]' "plain error: no device mark (nothing explained): $(faults fail)"
check '[ "$(json "[\"driver_errors\"]" <"$T/fail.sum")" -ge "$tries" ]' "plain error: counted in driver_errors"
check 'grep -q "^freq .*" "$T/hw/writes.log" && [ "$(cat "$T/hw/fc1/freq")" = 1000000000 ]' \
    "plain error: fc1 written and restored"

# 4. The console marks the device in its row and counts it in the header
#    (tmux on a private socket, as console.sh does).
if command -v tmux >/dev/null 2>&1; then
    case "$W" in /*) ;; *) W="$(pwd)/$W" ;; esac
    SOCK="wattson-faults-$$"
    tm() { LC_ALL=C.UTF-8 LANG=C.UTF-8 tmux -u -L "$SOCK" -f /dev/null "$@"; }
    trap 'tm kill-server >/dev/null 2>&1; rm -rf "$T"' EXIT
    # wait_for ERE: 0 once a line of the screen matches (20 s at most).
    wait_for() {
        i=0
        while [ $i -lt 400 ]; do
            tm capture-pane -p -t tui >"$T/screen" 2>/dev/null
            grep -Eq -- "$1" "$T/screen" && return 0
            sleep 0.05
            i=$((i + 1))
        done
        return 1
    }
    see() { if wait_for "$1"; then ok; else fail "console: $2: /$1/ never on screen"; sed 's/^/    | /' "$T/screen" >&2; fi; }
    setup 0.05 3500000000
    : >"$T/hw/fc0/deny"
    printf '%s\n' "trap : INT" \
        "'$W' --console --lab '$T/lab.lua' --allow-writes --plugin-dir '$P' 2>'$T/tui.err'" \
        'echo "EXITED $?"' 'exec sleep 600' >"$T/tui.run"
    tm new-session -d -s tui -x 100 -y 30 "sh '$T/tui.run'"
    see '^.fc0 .*! perm freq' "fc0's row says permission denied writing freq"
    see '^.fc1 .* ok' "fc1's row is ok"
    see 'rate [0-9]+/s  faults 1' "the header counts one faulted device"
    see 'fc0\.freq: permission denied writing' "the Log pane has the message"
    tm send-keys -t tui q
    see '^EXITED 0$' "q exits 0"
    tm kill-server >/dev/null 2>&1
else
    skip "tmux is not installed: the console's fault marks"
fi
finish
