# Safety on real-hardware-like drivers: the filectl test plugin keeps its
# controls in files like sysfs.  wattson is read-only by default; with
# --allow-writes it saves the files before the first write and puts them
# back when SIGTERM (or SIGINT) stops it, and its outputs stay complete.
. "$TESTS/lib.sh"
P="$WATTSON_TEST_PLUGIN_DIR"

setup() {
    filectl_lab 1h
}

# Read-only by default: nothing is written.
setup
"$W" run --lab "$T/lab.lua" --duration 1s --plugin-dir "$P" >"$T/ro.sum" 2>"$T/ro.err"
check '[ $? -eq 0 ]' "read-only run: $(cat "$T/ro.err")"
check '[ ! -s "$T/hw/writes.log" ]' "no writes without --allow-writes"
check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]' "freq untouched"

for sig in TERM INT; do
    setup
    "$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" \
        --out "$T/$sig.jsonl" >"$T/$sig.sum" 2>"$T/$sig.err" &
    pid=$!
    # Wait (up to 20 s) until wattson has changed the hardware.
    i=0
    while [ $i -lt 200 ] && [ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]; do
        sleep 0.1; i=$((i + 1))
    done
    check '[ "$(cat "$T/hw/fc0/freq")" != 3500000000 ]' "$sig: wattson wrote a new freq"
    if [ "$sig" = TERM ]; then
        # One writer per machine: a second writer is refused, naming the
        # lock and the first one's pid; nothing is written by it.
        "$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" >"$T/second.out" 2>"$T/second.err"
        rc2=$?
        check '[ $rc2 -eq 1 ]' "second writer exits 1 (got $rc2)"
        check 'grep -q "wattson.lock: another wattson (pid $pid) is already writing" "$T/second.err"' "second writer told who holds the lock: $(cat "$T/second.err")"
    fi
    kill -"$sig" $pid
    wait $pid
    rc=$?
    check '[ $rc -eq 130 ]' "$sig: exit 130, got $rc ($(cat "$T/$sig.err"))"
    check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]' "$sig: freq restored (is $(cat "$T/hw/fc0/freq"))"
    check '[ "$(cat "$T/hw/fc0/power_cap")" = 42 ]' "$sig: power_cap restored (is $(cat "$T/hw/fc0/power_cap"))"
    check '! grep -q VIOLATION "$T/hw/writes.log"' "$sig: no out-of-range write"
    check 'tail -n 1 "$T/$sig.jsonl" | grep -q "\"interrupted\":true"' "$sig: trace complete with its summary"
done
# Every other signal that would end the process: the run stops after the
# tick and restores as after SIGTERM (exit 130, journal removed).  Before,
# each of these killed wattson with the hardware changed.
for sig in QUIT USR1 USR2 ALRM XCPU XFSZ VTALRM PROF PWR RTMIN RTMAX; do
    setup
    "$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" \
        >"$T/$sig.sum" 2>"$T/$sig.err" &
    pid=$!
    i=0
    while [ $i -lt 200 ] && [ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]; do
        sleep 0.1; i=$((i + 1))
    done
    kill -s "$sig" $pid
    wait $pid
    rc=$?
    check '[ $rc -eq 130 ] && [ "$(cat "$T/hw/fc0/freq")" = 3500000000 ] && [ "$(cat "$T/hw/fc0/power_cap")" = 42 ]' \
        "SIG$sig: restored, exit 130 (rc $rc, freq $(cat "$T/hw/fc0/freq"): $(cat "$T/$sig.err"))"
    check '[ ! -e "$WATTSON_RUN_DIR/saved-controls" ]' "SIG$sig: journal removed"
done
# SIGPIPE is ignored: stderr a pipe whose reader has gone, the warning
# SIGTERM makes wattson write there fails (EPIPE) instead of killing it
# before it could restore.
setup
python3 - "$W" "$T/lab.lua" "$P" "$T/hw/fc0/freq" >"$T/pipe.out" 2>&1 <<'PY'
import subprocess, sys, time, signal
w, lab, plugins, freq = sys.argv[1:]
p = subprocess.Popen([w, "run", "--lab", lab, "--allow-writes", "--plugin-dir",
                      plugins], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
p.stderr.close()  # the reader goes away
for _ in range(200):
    if open(freq).read().strip() != "3500000000":
        break
    time.sleep(0.1)
p.send_signal(signal.SIGTERM)
print("rc", p.wait(), "freq", open(freq).read().strip())
PY
check 'grep -qx "rc 130 freq 3500000000" "$T/pipe.out"' "SIGPIPE ignored: restored, exit 130: $(cat "$T/pipe.out")"
# SIGTRAP and SIGSYS may come from a fault: restored, then death by them.
for sig in TRAP SYS; do
    setup
    "$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" >/dev/null 2>"$T/$sig.err" &
    pid=$!
    i=0
    while [ $i -lt 200 ] && [ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]; do
        sleep 0.1; i=$((i + 1))
    done
    kill -s "$sig" $pid
    wait $pid
    rc=$?
    check '[ $rc -gt 128 ] && [ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]' \
        "SIG$sig: restored before dying (rc $rc, freq $(cat "$T/hw/fc0/freq"))"
done

# Trust: as root a driver file writable by group or others, or owned by
# another user, is refused (exit 4, one line naming it and why) before it
# is loaded; so is one in a directory others can write.
if [ "$(id -u)" -eq 0 ]; then
    setup
    for how in o+w g+w owner dir; do
        rm -rf "$T/pd"
        mkdir "$T/pd"
        cp "$P/filectl.so" "$T/pd/"
        why="$T/pd/filectl.so: "
        case $how in
        owner) chown 65534 "$T/pd/filectl.so"; why="${why}owned by uid 65534" ;;
        dir) chmod o+w "$T/pd"; why="$T/pd: writable by others (mode 0757), above $T/pd/filectl.so" ;;
        o+w) chmod o+w "$T/pd/filectl.so"; why="${why}writable by others" ;;
        g+w) chmod g+w "$T/pd/filectl.so"; why="${why}writable by its group" ;;
        esac
        expect_fail 4 "$why.*; refusing to load it" -- \
            run --lab "$T/lab.lua" --plugin-dir "$T/pd" --duration 100ms
    done
    check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]' "untrusted plugins: nothing written"
else
    skip "not root: untrusted plugin modes are refused only as root"
fi
# The lock: a writer under the machine's lock and one under its own lock
# file (WATTSON_LOCK_FILE) are never both writing; the private lock is
# warned about.  (The machine's lock is simulated by a second private path
# only in test_safety; here: the warning.)
setup
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 100ms \
    >/dev/null 2>"$T/lk.err"
check 'grep -q "$WATTSON_LOCK_FILE: writer lock from WATTSON_LOCK_FILE, not the machine.s" "$T/lk.err"' \
    "a private lock file is warned about: $(cat "$T/lk.err")"
# SIGTERM during a policy call that would run for hours (no instruction,
# wall- or CPU-time budget to stop it): the call is cut at once, the tick
# counts as failing, and the run stops with its summary.  Before, the
# signal waited for the call to return.
printf 'return { api = 1, on_tick = function(state, out)\n  if state.tick > 5 then while true do end end\nend }\n' >"$T/spin.lua"
"$W" run --policy "$T/spin.lua" --duration 1h --policy-instructions 1e12 \
    --policy-cpu-time 1h >"$T/spin.sum" 2>"$T/spin.err" &
pid=$!
sleep 1
kill -TERM $pid
i=0
while [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do
    sleep 0.1; i=$((i + 1))
done
check '! kill -0 $pid 2>/dev/null' "SIGTERM ends a spinning policy call"
kill -KILL $pid 2>/dev/null
wait $pid
rc=$?
check '[ $rc -eq 130 ]' "spin: exit 130, got $rc ($(cat "$T/spin.err"))"
check 'grep -q "spin.lua:2: interrupted by signal 15 (the run is stopping)" "$T/spin.err"' "spin: the cut call is logged: $(cat "$T/spin.err")"
check '[ "$(json "[\"interrupted\"]" <"$T/spin.sum")" = True ]' "spin: summary says interrupted"
check '[ "$(json "[\"policy_errors\"]" <"$T/spin.sum")" = 1 ]' "spin: the cut call is one policy error"

# A competing daemon (a process whose comm is "thermald") is named when
# wattson is about to write real hardware, and only then.
cp "$(command -v sleep)" "$T/thermald"
"$T/thermald" 30 &
dpid=$!
setup
"$W" run --lab "$T/lab.lua" --plugin-dir "$P" --duration 100ms >/dev/null 2>"$T/d1.err"
check '! grep -q thermald "$T/d1.err"' "read-only run does not warn about daemons"
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 100ms >/dev/null 2>"$T/d2.err"
check 'grep -q "thermald (pid $dpid) also controls" "$T/d2.err"' "writer warns about thermald: $(cat "$T/d2.err")"
kill $dpid 2>/dev/null
wait $dpid 2>/dev/null

# A fatal signal (as from a crash): controls are still put back before
# the process dies with that signal.
setup
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" >/dev/null 2>"$T/segv.err" &
pid=$!
i=0
while [ $i -lt 200 ] && [ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]; do
    sleep 0.1; i=$((i + 1))
done
check '[ "$(cat "$T/hw/fc0/freq")" != 3500000000 ]' "SEGV: wattson wrote a new freq"
kill -SEGV $pid
wait $pid
rc=$?
check '[ $rc -eq 139 ]' "SEGV: died by SIGSEGV (status $rc)"
check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]' "SEGV: freq restored (is $(cat "$T/hw/fc0/freq"))"
check '[ "$(cat "$T/hw/fc0/power_cap")" = 42 ]' "SEGV: power_cap restored"
finish
