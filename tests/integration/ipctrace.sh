#!/bin/sh
# Live IPC events from real processes (issue 17): `wattson trace` over a
# real pipeline, `run --ipc-socket` with processes started elsewhere,
# the events written and replayed, a client sending malformed datagrams,
# wattson killed mid-stream, and the errors.  No check depends on timing.
. "$(dirname "$0")/lib.sh"
LIB=${IPC_LIB:?IPC_LIB: the path of libwattson-ipc.so}
LAB="$WATTSON_SOURCE_DIR/lua-policies/labs/ipc-pipeline.lua"
sumline() { grep '^{"type":"summary"' "$1" | tail -n 1; }
key() { sumline "$1" | json "[\"$2\"]"; }

# 1. trace: dd | gzip | wc, each placed on its core by name.
"$W" trace --ipc-out "$T/ev.txt" -- sh -c \
    'dd if=/dev/urandom bs=64k count=200 status=none | gzip -1 | wc -c' \
    >"$T/out" 2>"$T/err"
rc=$?
check '[ "$rc" -eq 0 ]' "trace: exit $rc ($(tail -n 3 "$T/err"))"
check '[ "$(cat "$T/out")" -gt 6000000 ]' "trace: CMD's stdout is wc's count alone: $(cat "$T/out")"
check '[ "$(key "$T/err" ipcsrv_events)" -ge 200 ]' "trace: dd's 200 writes arrived"
check '[ "$(key "$T/err" ipcsrv_conns)" -ge 2 ]' "trace: dd and gzip connected"
check '[ "$(key "$T/err" ipc_mapped)" -ge 2 ]' "trace: gzip and wc placed"
check '[ "$(key "$T/err" ipc_unknown)" -eq 0 ]' "trace: no event for an unplaced process"
check '[ "$(key "$T/err" ipc_events)" -ge 200 ]' "trace: the broker counted the messages"
check '[ "$(key "$T/err" ipcsrv_malformed)" -eq 0 ]' "trace: nothing malformed"
# dd's 64 KiB writes all went to one process, gzip, noted by name.
n64=$(awk '$4 == 65536' "$T/ev.txt" | wc -l)
check '[ "$n64" -eq 200 ]' "ev.txt: 200 writes of 64 KiB, got $n64"
gz=$(awk '$4 == 65536 {print $3}' "$T/ev.txt" | sort -u)
check '[ "$(echo "$gz" | wc -l)" -eq 1 ]' "ev.txt: one destination of dd's writes"
check 'grep -q "^# proc $gz gzip$" "$T/ev.txt"' "ev.txt: gzip noted by name"
lines=$(grep -vc '^#' "$T/ev.txt")
check '[ "$lines" -eq "$(key "$T/err" ipc_events)" ]' "ev.txt: every event the broker counted"

# 1b. The read side (trace sets WATTSON_IPC_READS=1): head writes through
# stdio, which the library cannot see (no send event of head's); gzip's
# receive events stand for them, src head (its pid noted by the shell
# that execs it), and the broker counts them.
"$W" trace --ipc-out "$T/rev.txt" -- sh -c \
    "sh -c 'echo \$\$ > $T/head.pid; exec head -c 2000000 /dev/urandom' | gzip -1 | wc -c" \
    >"$T/rout" 2>"$T/rerr"
rc=$?
check '[ "$rc" -eq 0 ]' "trace reads: exit $rc ($(tail -n 3 "$T/rerr"))"
check '[ "$(cat "$T/rout")" -gt 1900000 ]' "trace reads: wc's count $(cat "$T/rout")"
check '[ "$(key "$T/rerr" ipcsrv_recv_events)" -gt 0 ]' "trace reads: gzip's receive events kept"
check '[ "$(key "$T/rerr" ipc_events)" -gt 0 ]' "trace reads: the broker counted them"
hp=$(cat "$T/head.pid")
gzr=$(grep '^# proc [0-9]* gzip$' "$T/rev.txt" | awk '{print $3}')
check '[ -n "$hp" ] && [ -n "$gzr" ]' "trace reads: head's pid $hp, gzip's $gzr"
fromhead=$(awk -v h="$hp" -v g="$gzr" '$2 == h && $3 == g {n += $4} END {print n + 0}' "$T/rev.txt")
check '[ "$fromhead" -eq 2000000 ]' "trace reads: head -> gzip bytes in rev.txt: $fromhead"

# 2. The file replays on the simulated clock: the same events, placed by
# the names it notes (those pids are gone).
"$W" run --lab "$LAB" --ipc-replay "$T/ev.txt" --duration 30s \
    >"$T/rsum" 2>"$T/rerr"
check '[ $? -eq 0 ]' "replay: $(cat "$T/rerr")"
check '[ "$(key "$T/rsum" ipc_events)" -eq "$lines" ]' "replay: every event counted"
check '[ "$(key "$T/rsum" ipc_unknown)" -eq 0 ]' "replay: every destination placed"

# 2b. The broker raises the receiver's clock on the messages, before
# their work arrives: a real recording of 12 bursts into gzip
# (tests/fixtures/ipc/), replayed on the simulated cores with and without
# the messages.  The clock of gzip's core in the first busy tick of each
# burst.
FX="$WATTSON_SOURCE_DIR/tests/fixtures/ipc/burst-gzip.txt"
for p in broker broker-noipc; do
    "$W" run --lab "$LAB" --ipc-replay "$FX" --duration 4s \
        --policy "builtin:$p" --out "$T/$p.jsonl" >/dev/null 2>&1
done
cat >"$T/first.py" <<'PY'
import json, sys
t = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"type":"tick"')]
first, busy = [], False
for a, b in zip(t, t[1:]):
    w = b["dev"]["cpu2"]["work_arrived"] - a["dev"]["cpu2"]["work_arrived"]
    if w > 3e8 and not busy:
        first.append(b["dev"]["cpu2"]["freq"])
    busy = w > 2e8
print(len(first), sum(first) / max(1, len(first)))
PY
set -- $(python3 "$T/first.py" "$T/broker.jsonl")
nb=$1 fb=$2
set -- $(python3 "$T/first.py" "$T/broker-noipc.jsonl")
nn=$1 fn=$2
check '[ "$nb" -ge 10 ] && [ "$nn" -eq "$nb" ]' "burst replay: the bursts seen alike ($nb, $nn)"
check 'python3 -c "import sys; sys.exit(not ($fb > $fn + 5e8))"' \
    "burst replay: clock in a burst's first busy tick with messages $fb > without $fn + 0.5 GHz"

# 3. The command's status is trace's.
"$W" trace -- sh -c 'exit 7' >/dev/null 2>&1
rc=$?
check '[ "$rc" -eq 7 ]' "trace: exit $rc, expected CMD's 7"
"$W" trace -- "$T/no-such-cmd" >/dev/null 2>"$T/err"
rc=$?
check '[ "$rc" -eq 127 ]' "trace: a missing command exits 127, got $rc"
check 'grep -q "no-such-cmd: No such file" "$T/err"' "trace: names the missing command"
expect_fail 2 "trace needs a command" -- trace

# 4. run --ipc-socket: a process started elsewhere, a malicious client,
# wattson killed mid-stream and replaced at the same path.
S="$T/ipc.sock"
"$W" run --lab "$LAB" --ipc-socket "$S" --duration 120s >"$T/s1" 2>"$T/e1" &
w1=$!
i=0
while [ ! -S "$S" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
check '[ -S "$S" ]' "run --ipc-socket: the socket appears"
check '[ "$(stat -c %a "$S")" = 600 ]' "run --ipc-socket: owner-only"
# Garbage, a short header, a spoofed sender: refused, wattson lives on.
python3 - "$S" <<'PY'
import os, socket, struct, sys
for payload in (b"junk" * 20, b"WIPC",
                struct.pack("<IHHIIIIQ", 0x43504957, 1, 0, os.getpid() + 1,
                            1, 0, 0, 0)):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    s.send(payload)
    s.settimeout(5)
    assert s.recv(1) == b""  # closed by wattson
    s.close()
PY
check '[ $? -eq 0 ]' "malformed datagrams: each connection closed by wattson"
check 'kill -0 $w1' "malformed datagrams: wattson still running"
# A writer into a pipe that lasts ~3 s (printf is the shell's own
# write(), 64 bytes a line).
WATTSON_IPC_SOCKET="$S" LD_PRELOAD="$LIB" sh -c \
    'i=0; while [ $i -lt 300 ]; do printf "%063d\n" $i; i=$((i+1)); sleep 0.01; done | cat >"$0"' \
    "$T/data" &
app=$!
sleep 0.5
kill -9 $w1
wait $w1 2>/dev/null
sleep 0.3
# The stale socket of the dead run is replaced, never another's.
"$W" run --lab "$LAB" --ipc-socket "$S" --duration 120s -v >"$T/s2" 2>"$T/e2" &
w2=$!
wait $app
check '[ $? -eq 0 ]' "the application ran on after wattson was killed"
check '[ "$(wc -l <"$T/data")" -eq 300 ] && [ "$(sort -u "$T/data" | wc -l)" -eq 300 ]' \
    "the application's data whole: $(wc -l <"$T/data") lines"
sleep 0.3
kill -TERM $w2
wait $w2
check 'grep -q "replaced the stale socket" "$T/e2"' "second run: the stale socket replaced"
check '[ "$(key "$T/s2" ipcsrv_events)" -gt 0 ]' "second run: events after the restart"
check '[ "$(key "$T/s2" ipcsrv_lib_dropped)" -gt 0 ]' "second run: the library counted what it could not send"
check '[ ! -e "$S" ]' "the socket removed at the end"
check 'grep -q "malformed datagram" "$T/e1"' "first run: malformed datagrams logged"

# 5. Read-only on cpufreq: a fixture tree (this machine has no cpufreq;
# $WATTSON_SYSFS_ROOT is the sysfs drivers' root, and the map's): each
# traced process placed on the policy of the CPU it last ran on, its
# messages counted by the broker, not one file of the tree written.
cp -r "$WATTSON_SOURCE_DIR/tests/fixtures/sysfs/cpufreq/twopolicy" "$T/fx"
sums() { (cd "$T/fx" && find . -type f -exec md5sum {} + | sort); }
sums >"$T/fx.before"
printf 'return { tick = "10ms", drivers = { { plugin = "cpufreq" } } }\n' \
    >"$T/cf.lua"
# taskset: on CPU 0, which the tree's policy0 covers, on any machine.
WATTSON_SYSFS_ROOT="$T/fx" "$W" trace --lab "$T/cf.lua" -- taskset -c 0 sh -c \
    'dd if=/dev/urandom bs=64k count=100 status=none | gzip -1 | wc -c' \
    >"$T/out" 2>"$T/err"
check '[ $? -eq 0 ]' "cpufreq trace: $(tail -n 2 "$T/err")"
check '[ "$(key "$T/err" ipc_mapped)" -ge 2 ]' "cpufreq trace: gzip and wc placed by their CPU"
check '[ "$(key "$T/err" ipc_unknown)" -eq 0 ] && [ "$(key "$T/err" ipc_events)" -ge 100 ]' \
    "cpufreq trace: the broker counted the messages to the policies"
check 'sums | cmp -s - "$T/fx.before"' "cpufreq trace: nothing written to the tree"

# 6. Errors.
echo keep >"$T/file"
expect_fail 6 "exists and is not a socket" -- run --lab "$LAB" \
    --ipc-socket "$T/file" --duration 1s
check '[ "$(cat "$T/file")" = keep ]' "a file at --ipc-socket untouched"
printf '0.5 1 2 3 data\n0.1 1 2 3 data\n' >"$T/bad.txt"
expect_fail 3 "bad.txt:2:" -- run --lab "$LAB" --ipc-replay "$T/bad.txt" \
    --duration 1s
cat >"$T/badlab.lua" <<LAB
return { drivers = { { plugin = "sim", devices = {
  { name = "cpu0", kind = "cpu", part = "zen3-core" } } } },
  ipc_procs = { gzip = "cpu9" } }
LAB
expect_fail 3 "ipc_procs.gzip: no device 'cpu9'" -- run --lab "$T/badlab.lua" \
    --ipc-socket "$T/x.sock" --duration 1s
cat >"$T/badlab.lua" <<LAB
return { drivers = { { plugin = "sim", devices = {
  { name = "cpu0", kind = "cpu", part = "zen3-core" } } } },
  ipc_procs = { gzip = 3 } }
LAB
expect_fail 3 "ipc_procs.gzip: must be a device name" -- run \
    --lab "$T/badlab.lua" --duration 1s
WATTSON_IPC_LIB=/nonexistent/libwattson-ipc.so expect_fail 4 \
    "the interception library /nonexistent/libwattson-ipc.so" -- trace -- true
finish
