# The saved-controls journal and `wattson restore`, on the filectl test
# plugin (controls kept in files like sysfs): a run killed with SIGKILL
# leaves its journal, the next writer refuses to start until `wattson
# restore` has put the files back exactly; SIGTERM and a fatal signal
# remove the journal after restoring in-process; a stale writer lock is
# taken over with a notice; a malformed journal is refused naming the
# file and line, writing nothing; an unusable run directory blocks every
# write; simulated-only runs write no journal; a killed writer not yet
# reaped counts as dead; a live writer's journal (under another lock
# file) is never replaced.
. "$TESTS/lib.sh"
P="$WATTSON_TEST_PLUGIN_DIR"
J="$T/run/saved-controls"

setup() {
    rm -rf "$T/run"
    filectl_lab 1h
}

# Starts a writer in the background (pid in $pid) and waits (up to 20 s)
# until it has changed the hardware.
start_writer() {
    "$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" "$@" \
        >"$T/w.sum" 2>"$T/w.err" &
    pid=$!
    i=0
    while [ $i -lt 200 ] && [ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]; do
        sleep 0.1; i=$((i + 1))
    done
}

# (a) SIGKILL: nothing in the process can restore; the journal can.
setup
start_writer
check '[ "$(cat "$T/hw/fc0/freq")" != 3500000000 ]' "kill: wattson wrote a new freq"
check '[ -f "$J" ]' "kill: journal $J written before the first write"
check 'head -n 1 "$J" | grep -qx "wattson-journal 1"' "kill: versioned first line: $(head -n 1 "$J")"
check 'grep -qx "pid $pid" "$J"' "kill: journal names the owner pid $pid: $(cat "$J")"
check 'grep -qx "lab $T/lab.lua" "$J"' "kill: journal names the absolute lab path"
check 'grep -qx "plugin-dir .*/tests/plugins" "$J"' "kill: journal names the plugin dir"
check 'grep -qx "control filectl fc0 freq 3500000000" "$J"' "kill: original freq saved"
check 'grep -qx "control filectl fc0 power_cap 42" "$J"' "kill: original power_cap saved"
check 'tail -n 1 "$J" | grep -qx end' "kill: journal complete"
check '[ "$(stat -c %a "$J")" = 600 ]' "kill: journal mode 600 (is $(stat -c %a "$J"))"
kill -KILL $pid
wait $pid 2>/dev/null
changed=$(cat "$T/hw/fc0/freq")
check '[ "$changed" != 3500000000 ]' "kill: hardware still changed after SIGKILL"
check '[ -f "$J" ]' "kill: journal left behind"
# The next writer refuses to start and writes nothing.
cp "$T/hw/writes.log" "$T/writes.before"
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 1s \
    >"$T/second.out" 2>"$T/second.err"
rc=$?
check '[ $rc -eq 4 ]' "refused run exits 4 (got $rc)"
check 'grep -qF "$J: a wattson run (pid $pid) was killed before it could restore its controls; run \`wattson restore\` first" "$T/second.err"' \
    "refusal names the journal and the pid: $(cat "$T/second.err")"
check 'cmp -s "$T/hw/writes.log" "$T/writes.before"' "refused run wrote nothing"
check '[ ! -s "$T/second.out" ]' "refused run prints no summary"
# A dry run says what it would do and changes nothing.
"$W" restore --dry-run >"$T/dry.out" 2>"$T/dry.err"
rc=$?
check '[ $rc -eq 0 ]' "restore --dry-run exits 0 (got $rc: $(cat "$T/dry.err"))"
check 'grep -q "would write fc0.freq = 3500000000" "$T/dry.out"' "dry run lists freq: $(cat "$T/dry.out")"
check '[ "$(cat "$T/hw/fc0/freq")" = "$changed" ] && [ -f "$J" ]' "dry run writes nothing, keeps the journal"
# wattson restore puts both back exactly, last saved first, one per write.
"$W" restore >"$T/r.out" 2>"$T/r.err"
rc=$?
check '[ $rc -eq 0 ]' "restore exits 0 (got $rc: $(cat "$T/r.err"))"
check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]' "restore: freq back (is $(cat "$T/hw/fc0/freq"))"
check '[ "$(cat "$T/hw/fc0/power_cap")" = 42 ]' "restore: power_cap back (is $(cat "$T/hw/fc0/power_cap"))"
check '[ "$(tail -n 2 "$T/hw/writes.log" | tr "\n" " ")" = "power_cap 42 freq 3500000000 " ]' \
    "restore: reverse order: $(tail -n 2 "$T/hw/writes.log" | tr '\n' ' ')"
check 'grep -qx "restored 2 controls from $J" "$T/r.out"' "restore summary line: $(cat "$T/r.out")"
check '[ ! -e "$J" ]' "restore removed the journal"
check '! grep -q VIOLATION "$T/hw/writes.log"' "no out-of-range write"
"$W" restore >"$T/r2.out" 2>"$T/r2.err"
rc=$?
check '[ $rc -eq 0 ] && grep -q "nothing to restore" "$T/r2.out"' \
    "second restore: nothing to restore, exit 0 (got $rc: $(cat "$T/r2.out" "$T/r2.err"))"
# And writing is possible again.
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 200ms \
    >/dev/null 2>"$T/again.err"
check '[ $? -eq 0 ]' "after restore a writer starts again: $(cat "$T/again.err")"
check '[ ! -e "$J" ]' "a clean run leaves no journal"

# (b) SIGTERM: restored in-process, journal removed.  A fatal signal too.
for sig in TERM SEGV; do
    setup
    start_writer
    check '[ -f "$J" ]' "$sig: journal written"
    kill -$sig $pid
    wait $pid
    rc=$?
    check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]' "$sig: freq restored"
    check '[ ! -e "$J" ]' "$sig: journal removed after the restore (rc $rc: $(cat "$T/w.err"))"
done
check '[ $rc -eq 139 ]' "SEGV: died by the signal (status $rc)"

# (c) A stale writer lock (a pid that no longer runs) is taken over with a
# notice; a lock released normally is empty and gives no notice.
setup
sleep 0 &
dead=$!
wait $dead
echo $dead >"$WATTSON_LOCK_FILE"
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 200ms \
    >/dev/null 2>"$T/stale.err"
rc=$?
check '[ $rc -eq 0 ]' "stale lock: run exits 0 (got $rc: $(cat "$T/stale.err"))"
check 'grep -qF "$WATTSON_LOCK_FILE: stale lock from pid $dead (not running); taking it over" "$T/stale.err"' \
    "stale lock notice: $(cat "$T/stale.err")"
check '[ ! -s "$WATTSON_LOCK_FILE" ]' "lock file emptied at exit"
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 200ms \
    >/dev/null 2>"$T/nostale.err"
check '! grep -q "stale lock" "$T/nostale.err"' "no notice after a clean exit: $(cat "$T/nostale.err")"

# (d) A malformed journal: wattson restore names FILE:LINE, writes nothing,
# keeps it; a writer refuses to start on it too.
setup
mkdir -p "$T/run"
sleep 0 &
dead=$!
wait $dead
printf 'wattson-journal 1\npid %s\nstart 1700000000\nlab %s\ncontrol filectl fc0 power_cap 42\ncontrol filectl fc0 freq 3.5e9x\nend\n' \
    "$dead" "$T/lab.lua" >"$J"
echo 30 >"$T/hw/fc0/power_cap"
"$W" restore >"$T/bad.out" 2>"$T/bad.err"
rc=$?
check '[ $rc -eq 3 ]' "malformed journal: exit 3 (got $rc)"
check 'grep -q "$J:6: " "$T/bad.err"' "malformed journal: FILE:LINE named: $(cat "$T/bad.err")"
# (Every writer under a private lock file, as in these tests, warns so.)
check '[ "$(grep -vc "writer lock from WATTSON_LOCK_FILE" "$T/bad.err")" -eq 1 ]' "malformed journal: one line"
check '[ ! -e "$T/hw/writes.log" ] && [ "$(cat "$T/hw/fc0/power_cap")" = 30 ]' "malformed journal: nothing written"
check '[ -f "$J" ]' "malformed journal kept"
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 200ms \
    >/dev/null 2>"$T/badrun.err"
rc=$?
check '[ $rc -eq 4 ] && grep -q "$J:6: " "$T/badrun.err"' "writer refuses a malformed journal (rc $rc: $(cat "$T/badrun.err"))"
# A control that no longer exists is reported and counted; the others go
# back; the journal is kept.  (This journal names no plugin-dir: restore's
# --plugin-dir finds the driver.)  The owner pid runs, but it is not a wattson
# (a pid reused after the crash): the journal is still a dead run's.
sleep 30 &
other=$!
printf 'wattson-journal 1\npid %s\nstart 1700000000\nlab %s\ncontrol filectl fc0 freq 3500000000\ncontrol filectl fc0 volts 1.25\ncontrol filectl fc0 power_cap 42\nend\n' \
    "$other" "$T/lab.lua" >"$J"
echo 1000000000 >"$T/hw/fc0/freq"
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 200ms \
    >/dev/null 2>"$T/reused.err"
check '[ $? -eq 4 ] && grep -q "pid $other) was killed" "$T/reused.err"' "a reused pid is not the owner: $(cat "$T/reused.err")"
"$W" restore --plugin-dir "$P" >"$T/part.out" 2>"$T/part.err"
rc=$?
check '[ $rc -eq 4 ]' "partial restore: exit 4 (got $rc)"
check 'grep -q "restore: fc0.volts: could not write 1.25 (" "$T/part.err"' "missing control reported: $(cat "$T/part.err")"
check 'grep -q "restored 2 of 3 controls from $J" "$T/part.out"' "partial summary: $(cat "$T/part.out")"
check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ] && [ "$(cat "$T/hw/fc0/power_cap")" = 42 ]' "the other controls restored"
check '[ -f "$J" ]' "journal kept after a failed restore"
kill $other 2>/dev/null
wait $other 2>/dev/null
# A journal of a run that is still alive is not restored from under it.
rm -f "$J"
setup
start_writer
"$W" restore --run-dir "$T/run" >"$T/live.out" 2>"$T/live.err"
rc=$?
check '[ $rc -eq 1 ] && grep -q "another wattson (pid $pid)" "$T/live.err"' \
    "restore during a run: refused by the lock (rc $rc: $(cat "$T/live.err"))"
kill -TERM $pid
wait $pid

# (e) An unusable run directory blocks every write: the hardware stays as
# it was, stderr names the path, the summary counts it.
setup
echo "not a directory" >"$T/afile"
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 1s \
    --run-dir "$T/afile" >"$T/e.sum" 2>"$T/e.err"
rc=$?
check '[ $rc -eq 0 ]' "unusable run dir: the run goes on read-only (rc $rc: $(cat "$T/e.err"))"
check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ] && [ "$(cat "$T/hw/fc0/power_cap")" = 42 ]' "unusable run dir: hardware unchanged"
check '[ ! -s "$T/hw/writes.log" ]' "unusable run dir: no write at all"
check 'grep -q "$T/afile/saved-controls: .*Not a directory" "$T/e.err"' "unusable run dir named with the reason: $(cat "$T/e.err")"
# The run paces ticks by the wall clock, so a loaded machine may add the
# deadline-miss warning; that line depends on the load, not on the journal.
# So does the competing-daemon warning (a real thermald, or the fake one
# signals.sh starts while this script runs beside it).
check '[ "$(grep -v -e "tick deadlines were missed" -e "also controls frequencies" -e "writer lock from WATTSON_LOCK_FILE" "$T/e.err" | wc -l)" -eq 1 ]' "one error line: $(cat "$T/e.err")"
check '[ "$(json "[\"journal_errors\"]" <"$T/e.sum")" = 1 ]' "summary journal_errors = 1: $(cat "$T/e.sum")"

# (f) Simulated drivers only: no journal (and no run directory made).
rm -rf "$T/simrun"
WATTSON_RUN_DIR="$T/simrun" "$W" run --allow-writes --duration 2s >"$T/sim.sum" 2>"$T/sim.err"
check '[ $? -eq 0 ]' "simulated run: $(cat "$T/sim.err")"
check '[ ! -e "$T/simrun" ]' "simulated run writes no journal"
check '[ "$(json "[\"journal_errors\"]" <"$T/sim.sum")" = 0 ]' "simulated run: journal_errors 0"

# (g) A killed writer not yet reaped (a zombie: its parent, a python3
# that only sleeps, never waits for it) is dead for the journal: the next
# writer is told to restore, and `wattson restore` does not wait for it.
setup
python3 -c 'import subprocess, sys, time
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
open(sys.argv[1], "w").write(str(p.pid))
time.sleep(120)' "$T/zparent.pid" "$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" &
zparent=$!
i=0
while [ $i -lt 200 ] && { [ ! -s "$T/zparent.pid" ] || [ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]; }; do
    sleep 0.1; i=$((i + 1))
done
pid=$(cat "$T/zparent.pid")
check '[ "$(cat "$T/hw/fc0/freq")" != 3500000000 ]' "zombie: wattson wrote a new freq"
kill -KILL $pid
i=0
while [ $i -lt 100 ] && ! grep -q "^State:.*Z" "/proc/$pid/status" 2>/dev/null; do
    sleep 0.1; i=$((i + 1))
done
check 'grep -q "^State:.*Z" "/proc/$pid/status"' "zombie: killed writer $pid is a zombie"
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 1s \
    >"$T/z.out" 2>"$T/z.err"
rc=$?
check '[ $rc -eq 4 ] && grep -qF "a wattson run (pid $pid) was killed" "$T/z.err"' \
    "zombie: next writer refused as after a kill (rc $rc: $(cat "$T/z.err"))"
"$W" restore >"$T/zr.out" 2>"$T/zr.err"
rc=$?
check '[ $rc -eq 0 ] && [ "$(cat "$T/hw/fc0/freq")" = 3500000000 ] && [ ! -f "$J" ]' \
    "zombie: restore works while the owner is unreaped (rc $rc: $(cat "$T/zr.err"))"
kill $zparent
wait $zparent 2>/dev/null

# (h) A live writer under another lock file (same run directory): a
# second writer must not replace its journal (the first run's saved
# values would be lost); it is refused, writes nothing, and the first
# run still restores everything when stopped.
setup
start_writer
first=$pid
cp "$J" "$T/j.first"
cp "$T/hw/writes.log" "$T/writes.before"
WATTSON_LOCK_FILE="$T/other.lock" "$W" run --lab "$T/lab.lua" --allow-writes \
    --plugin-dir "$P" --duration 1s >"$T/h.out" 2>"$T/h.err"
rc=$?
check '[ $rc -eq 4 ]' "live owner: second writer exits 4 (got $rc: $(cat "$T/h.err"))"
check 'grep -qF "$J: belongs to a wattson run still running (pid $first)" "$T/h.err"' \
    "live owner: refusal names the journal and the pid: $(cat "$T/h.err")"
check 'cmp -s "$J" "$T/j.first"' "live owner: first run's journal untouched"
kill -TERM $first
wait $first
check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ] && [ "$(cat "$T/hw/fc0/power_cap")" = 42 ]' \
    "live owner: first run restored everything"
check '[ ! -f "$J" ]' "live owner: journal removed after the first run's restore"

# (i) Exactness: a saved value below the control's declared minimum (a
# rapl zone limit of 0, the cap's minimum 1 W) goes back as it was, in
# process and through `wattson restore`; before, the driver refused it,
# so the journal stayed and blocked every later writer.
rm -rf "$T/run" "$T/fx"
cp -R "$WATTSON_SOURCE_DIR/tests/fixtures/sysfs/rapl/intel" "$T/fx"
CORE="$T/fx/sys/class/powercap/intel-rapl:0:0/constraint_0_power_limit_uw"
echo 0 >"$CORE"
printf 'return { tick = "20ms", duration = "1h",\n  drivers = { { plugin = "rapl", root = "%s" } } }\n' "$T/fx" >"$T/rapl.lua"
printf 'return { api = 1, on_tick = function(s, o) o["package-0/core"].power_cap = 20 end }\n' >"$T/cap.lua"
"$W" run --lab "$T/rapl.lua" --policy "$T/cap.lua" --allow-writes --duration 300ms \
    >/dev/null 2>"$T/i.err"
rc=$?
check '[ $rc -eq 0 ]' "limit 0: run exits 0 (got $rc: $(cat "$T/i.err"))"
check '[ "$(cat "$CORE")" = 0 ]' "limit 0: restored in process (is $(cat "$CORE"))"
check '[ ! -e "$J" ]' "limit 0: journal removed"
"$W" run --lab "$T/rapl.lua" --policy "$T/cap.lua" --allow-writes >/dev/null 2>"$T/i2.err" &
pid=$!
i=0
while [ $i -lt 200 ] && [ "$(cat "$CORE")" = 0 ]; do sleep 0.1; i=$((i + 1)); done
check '[ "$(cat "$CORE")" = 20000000 ]' "limit 0: the policy's cap written (is $(cat "$CORE"))"
kill -KILL $pid
wait $pid 2>/dev/null
check 'grep -qx "control rapl package-0/core power_cap 0" "$J"' "limit 0: saved as 0: $(cat "$J")"
"$W" restore >"$T/i.out" 2>"$T/i3.err"
rc=$?
check '[ $rc -eq 0 ] && [ "$(cat "$CORE")" = 0 ] && [ ! -e "$J" ]' \
    "limit 0: wattson restore puts 0 back (rc $rc, is $(cat "$CORE"): $(cat "$T/i3.err"))"

# (j) A FIFO in the journal's place: refused at once (it blocked open()
# forever before), by a writer, `wattson restore` and a dry run.
setup
mkdir -p "$T/run"
mkfifo "$J"
timeout 20 "$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 200ms \
    >/dev/null 2>"$T/j.err"
rc=$?
check '[ $rc -eq 4 ] && grep -qF "$J: not a regular file (a FIFO)" "$T/j.err"' \
    "FIFO journal: writer refused, exit 4 (rc $rc: $(cat "$T/j.err"))"
check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ]' "FIFO journal: nothing written"
for dry in "" --dry-run; do
    timeout 20 "$W" restore $dry >"$T/j.out" 2>"$T/j.err"
    rc=$?
    check '[ $rc -eq 3 ] && grep -qF "$J: not a regular file (a FIFO)" "$T/j.err"' \
        "FIFO journal: restore $dry refused, exit 3 (rc $rc: $(cat "$T/j.err"))"
done
rm -f "$J"

# (k) A temporary journal left by a writer killed between its write and
# its rename (saved-controls.tmp.PID of a dead PID) is removed by the next
# writer and by `wattson restore`; a live wattson's is left alone.
setup
mkdir -p "$T/run"
sleep 0 &
dead=$!
wait $dead
echo junk >"$T/run/saved-controls.tmp.$dead"
"$W" run --lab "$T/lab.lua" --allow-writes --plugin-dir "$P" --duration 200ms \
    >/dev/null 2>"$T/k.err"
check '[ $? -eq 0 ] && [ ! -e "$T/run/saved-controls.tmp.$dead" ]' \
    "stale temp file removed by the next writer: $(ls -A "$T/run") $(cat "$T/k.err")"
echo junk >"$T/run/saved-controls.tmp.$dead"
"$W" restore >/dev/null 2>"$T/k.err"
check '[ $? -eq 0 ] && [ ! -e "$T/run/saved-controls.tmp.$dead" ]' \
    "stale temp file removed by wattson restore: $(ls -A "$T/run")"
start_writer
echo junk >"$T/run/saved-controls.tmp.$pid"
"$W" restore --dry-run >/dev/null 2>&1
WATTSON_LOCK_FILE="$T/other.lock" "$W" run --lab "$T/lab.lua" --allow-writes \
    --plugin-dir "$P" --duration 200ms >/dev/null 2>&1
check '[ -e "$T/run/saved-controls.tmp.$pid" ]' "a live writer's temp file is kept"
kill -TERM $pid
wait $pid
rm -f "$T/run/saved-controls.tmp.$pid"

# (l) Isolation: a driver that crashes in write (crashctl, listed after
# filectl, so restored first) costs only its own controls.  Before, the
# emergency restore crashed again in it and filectl was never put back,
# and `wattson restore` died the same way.
crash_lab() { # CRASH_AFTER EXIT_AFTER
    filectl_lab 1h
    echo 3500000000 >"$T/hw/cr0"
    cat >"$T/crash.lua" <<LAB
return { tick = "20ms", duration = "1h",
  drivers = { { plugin = "filectl", dir = "$T/hw" },
              { plugin = "crashctl", dir = "$T/hw", crash_after = $1, exit_after = $2 } } }
LAB
}
rm -rf "$T/run"
crash_lab 2 0
"$W" run --lab "$T/crash.lua" --allow-writes --plugin-dir "$P" >/dev/null 2>"$T/l.err" &
pid=$!
i=0
while [ $i -lt 200 ] && [ "$(cat "$T/hw/cr0")" = 3500000000 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $pid
wait $pid
rc=$?
check '[ $rc -eq 139 ]' "crash in restore: died by SIGSEGV (rc $rc: $(cat "$T/l.err"))"
check '[ "$(cat "$T/hw/fc0/freq")" = 3500000000 ] && grep -q "^freq 800000000" "$T/hw/writes.log"' \
    "crash in restore: filectl written, then restored (freq $(cat "$T/hw/fc0/freq"))"
check 'grep -q "crashctl: the driver crashed (signal 11) while its controls were restored" "$T/l.err"' \
    "crash in restore: the crash reported: $(cat "$T/l.err")"
check '[ "$(cat "$T/hw/cr0")" = 800000000 ] && grep -q "control crashctl cr0 freq 3500000000" "$J"' \
    "crash in restore: cr0 left changed, journal kept: $(cat "$J" 2>&1)"
sed -i 's/crash_after = 2/crash_after = 1/' "$T/crash.lua"
"$W" restore --plugin-dir "$P" >"$T/l.out" 2>"$T/l2.err"
rc=$?
check '[ $rc -eq 4 ] && grep -q "restore: crashctl: the driver crashed (signal 11) while restoring" "$T/l2.err"' \
    "restore: the crash reported, exit 4 (rc $rc: $(cat "$T/l2.err"))"
check 'grep -q "cr0.freq: could not write 3500000000 (crashctl: not written: the driver died first)" "$T/l2.err"' \
    "restore: the crashed driver's control named: $(cat "$T/l2.err")"
check 'grep -q "restored 2 of 3 controls from $J; 1 failed (the journal is kept, with those only)" "$T/l.out"' \
    "restore: the others restored: $(cat "$T/l.out")"
check '[ "$(grep -c "^control " "$J")" = 1 ] && grep -q "^control crashctl cr0 freq 3500000000$" "$J"' \
    "restore: the journal keeps the failed control only: $(cat "$J")"
sed -i 's/crash_after = 1/crash_after = 0/' "$T/crash.lua"
"$W" restore --plugin-dir "$P" >"$T/l.out" 2>"$T/l3.err"
rc=$?
check '[ $rc -eq 0 ] && [ ! -e "$J" ] && [ "$(cat "$T/hw/cr0")" = 3500000000 ]' \
    "restore after the fix: exit 0, cr0 back, journal gone (rc $rc: $(cat "$T/l3.err") $(cat "$T/l.out"))"

# A driver calling exit(0) in read after some ticks: the controls go back
# and the exit status is 4, not 0 (before: 0, hardware left changed).
rm -rf "$T/run"
crash_lab 0 15
"$W" run --lab "$T/crash.lua" --allow-writes --plugin-dir "$P" >/dev/null 2>"$T/x.err"
rc=$?
check '[ $rc -eq 4 ] && grep -q "a driver called exit() during the run" "$T/x.err"' \
    "exit(0) in a driver: exit 4 and said (rc $rc: $(cat "$T/x.err"))"
check 'grep -q "^freq 800000000" "$T/hw/writes.log" && [ "$(cat "$T/hw/fc0/freq")" = 3500000000 ] && [ "$(cat "$T/hw/cr0")" = 3500000000 ]' \
    "exit(0) in a driver: both drivers restored (fc0 $(cat "$T/hw/fc0/freq"), cr0 $(cat "$T/hw/cr0"))"
check '[ ! -e "$J" ]' "exit(0) in a driver: journal removed after the full restore"

# Usage: restore takes only its own options.
expect_fail 2 "^wattson: restore does not take --lab (it takes --plugin-dir, --run-dir, --dry-run, -q, -v; see wattson --help)$" -- restore --lab "$T/lab.lua"
expect_fail 2 "^wattson: run does not take --dry-run" -- run --dry-run
finish
