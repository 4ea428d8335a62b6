# `wattson plugins` with a lab whose only driver is cpufreq: against the
# twopolicy fixture (devices, signals, control, read-only without
# --allow-writes), and against this machine's own /sys or an empty root,
# where it must say in one line that nothing was found.
W=${1:?usage: $0 path/to/wattson}
FIX=${CPUFREQ_FIXTURES:?}
# T, check and finish: the integration scripts' helpers.
. "$(dirname "$0")/../../integration/lib.sh"

cp -R "$FIX/twopolicy" "$T/fix"
cat >"$T/lab.lua" <<LAB
return { budget_w = 50, drivers = { { plugin = "cpufreq", root = "$T/fix" } } }
LAB
"$W" plugins --lab "$T/lab.lua" >"$T/out" 2>"$T/err"
check '[ $? -eq 0 ]' "plugins: $(cat "$T/err")"
check 'grep -q "^plugin cpufreq .*hardware, read-only" "$T/out"' \
    "not listed as hardware, read-only: $(cat "$T/out")"
check 'grep -q "device cpufreq0 (cpu)" "$T/out"' "no cpufreq0"
check 'grep -q "device cpufreq2 (cpu)" "$T/out"' "no cpufreq2"
check '[ $(grep -c "signal  freq  " "$T/out") -eq 2 ]' "two freq signals"
check '[ $(grep -c "signal  governor_userspace " "$T/out") -eq 2 ]' \
    "two governor_userspace signals"
check '[ $(grep -c "signal  ncpus " "$T/out") -eq 2 ]' "two ncpus signals"
check 'grep -q "control freq .*Hz .*min 1.2e+09 .*max 3.4e+09" "$T/out"' \
    "freq control range"
cat "$T/out"

# A relative root is resolved against the lab's directory.
cat >"$T/rel.lua" <<LAB
return { budget_w = 50, drivers = { { plugin = "cpufreq", root = "fix" } } }
LAB
"$W" plugins --lab "$T/rel.lua" >"$T/out" 2>"$T/err"
check '[ $? -eq 0 ] && grep -q "device cpufreq2" "$T/out"' \
    "relative root: $(cat "$T/err")"

# Nothing there: one line on stderr naming the directory, nothing on stdout.
mkdir "$T/empty"
cat >"$T/empty.lua" <<LAB
return { budget_w = 50, drivers = { { plugin = "cpufreq", root = "$T/empty" } } }
LAB
"$W" plugins --lab "$T/empty.lua" >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 4 ]' "empty root: exit $rc"
check '[ "$(wc -l <"$T/err")" -eq 1 ]' "empty root: $(cat "$T/err")"
check 'grep -q "cpufreq: no cpufreq policies under $T/empty/sys/devices/system/cpu/cpufreq" "$T/err"' \
    "empty root message: $(cat "$T/err")"
check '[ ! -s "$T/out" ]' "empty root wrote to stdout"

# This machine's own /sys: either policies to list, or one clean line.
cat >"$T/sys.lua" <<LAB
return { budget_w = 50, drivers = { { plugin = "cpufreq" } } }
LAB
env -u WATTSON_SYSFS_ROOT "$W" plugins --lab "$T/sys.lua" >"$T/out" 2>"$T/err"
rc=$?
if [ -d /sys/devices/system/cpu/cpufreq ] &&
    ls /sys/devices/system/cpu/cpufreq | grep -q '^policy'; then
    check '[ $rc -eq 0 ] && grep -q "device cpufreq" "$T/out"' \
        "this machine: exit $rc $(cat "$T/err")"
else
    check '[ $rc -eq 4 ] && [ "$(wc -l <"$T/err")" -eq 1 ]' \
        "this machine: exit $rc $(cat "$T/err")"
    check 'grep -q "cpufreq: no cpufreq policies under /sys/devices/system/cpu/cpufreq" "$T/err"' \
        "this machine: $(cat "$T/err")"
fi
cat "$T/err" >&2

finish
