# `wattson bench ipc --quick` (issue 17's bench, console/cmd/ibench.c):
# every configuration runs, every workload reports zero lost application
# data, and the workloads' writes under the library equal the listener's
# events + the drops the library reported + wattson's ring overflow
# ("accounted").  No figure is checked: --quick measures nothing.
#
# The listener is `wattson run --ipc-socket`.
. "$TESTS/lib.sh"

"$W" bench ipc --quick >"$T/out" 2>"$T/err"
rc=$?
cat "$T/out" >&2
check '[ $rc -eq 0 ]' "bench ipc --quick exits 0 (exit $rc): $(cat "$T/err")"
check 'grep -q "^accounting: .*: accounted$" "$T/out"' \
    "every write under the library accounted for: $(grep '^accounting' "$T/out")"
check 'grep -q "^application data: 0 bytes lost or corrupted, 0 of [1-9][0-9]* runs failed$" "$T/out"' \
    "no workload lost data or failed: $(grep '^application data' "$T/out")"
# 3 transports x 3 sizes, each with base, lib+wattson and lib, absent
# measured (strace: a figure or "n/a (why)").
for c in "base" "lib+wattson" "lib, absent"; do
    k=$(grep -c "^[a-z]* *[0-9]* K\{0,1\}i\{0,1\}B  $c  *[0-9][0-9]* " "$T/out")
    check '[ "$k" -eq 9 ]' "9 rows measured for $c, got $k"
done
k=$(grep -c "^[a-z]* *[0-9]* K\{0,1\}i\{0,1\}B  strace " "$T/out")
check '[ "$k" -eq 9 ]' "9 strace rows (a figure or n/a), got $k"
check '[ "$(grep -c "^aim <= " "$T/out")" -eq 6 ]' "an aim line per transport at 4 KiB and 64 B"
# The library's events went to the listener, not anywhere else: its
# connections were made.
check 'grep -q "^listener: [1-9][0-9]* connections, 0 malformed, 0 refused$" "$T/out"' \
    "the listener saw connections, nothing malformed: $(grep '^listener' "$T/out")"

# strace that cannot trace (a container refusing ptrace): its rows say
# n/a and why, and the bench still passes.
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "strace: ptrace(PTRACE_TRACEME, ...): Operation not permitted" >&2\nexit 1\n' >"$T/bin/strace"
chmod +x "$T/bin/strace"
PATH="$T/bin:$PATH" "$W" bench ipc --quick >"$T/out2" 2>"$T/err2"
rc=$?
check '[ $rc -eq 0 ]' "bench ipc --quick without a working strace exits 0 (exit $rc): $(cat "$T/err2")"
k=$(grep -c "  strace  *n/a (strace: ptrace(PTRACE_TRACEME, ...): Operation not permitted)$" "$T/out2")
check '[ "$k" -eq 9 ]' "9 strace rows n/a with strace's reason, got $k: $(grep strace "$T/out2" | head -n 2)"
check 'grep -q "^accounting: .*: accounted$" "$T/out2"' "accounted without strace too"

# A wrong operand and a missing workload program: exit 2, exit 1.
expect_fail 2 "bench ipc takes no operand" -- bench ipc extra
export WATTSON_IPC_LOAD="$T/nosuch"
expect_fail 1 "wattson-ipcload: .*WATTSON_IPC_LOAD" -- bench ipc --quick
unset WATTSON_IPC_LOAD
finish
