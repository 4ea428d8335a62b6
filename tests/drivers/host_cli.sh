# `wattson plugins --host`: the embedded host lab (every real driver,
# each optional) with each signal's current value, on one sysfs tree
# merged from the cpufreq, rapl, hwmon and pci fixtures
# ($WATTSON_SYSFS_ROOT) and the fake NVML library ($WATTSON_NVML_LIB).
# Usage: host_cli.sh WATTSON FIXTURES FAKE_NVML_LIB
W=${1:?usage: $0 path/to/wattson fixtures fake-libnvidia-ml.so.1}
F=${2:?usage: $0 path/to/wattson fixtures fake-libnvidia-ml.so.1}
L=${3:?usage: $0 path/to/wattson fixtures fake-libnvidia-ml.so.1}
# T, check and finish: the integration scripts' helpers.
. "$(dirname "$0")/../integration/lib.sh"
unset WATTSON_PLUGIN_PATH FAKENVML_NOT_SUPPORTED FAKENVML_LOST_AFTER \
    FAKENVML_INIT_FAIL FAKENVML_LOG

mkdir -p "$T/root" "$T/empty" || exit 1
for d in cpufreq/twopolicy rapl/intel hwmon/rails pci/accel; do
    cp -R "$F/$d/." "$T/root/" || exit 1
done
# The package's energy counter advances 1 J every 20 ms, so its rate (the
# power RAPL measures) is shown beside the counter.
E="$T/root/sys/class/powercap/intel-rapl:0/energy_uj"
(
    e=123456789 i=0
    while [ $i -lt 400 ]; do
        e=$((e + 1000000)) i=$((i + 1))
        printf '%s\n' "$e" >"$E.tmp" && mv "$E.tmp" "$E"
        sleep 0.02
    done
) &
bg=$!
WATTSON_SYSFS_ROOT="$T/root" WATTSON_NVML_LIB="$L" FAKENVML_GPUS=1 \
    "$W" plugins --host >"$T/out" 2>"$T/err"
rc=$?
kill "$bg" 2>/dev/null
wait "$bg" 2>/dev/null
check '[ $rc -eq 0 ] && [ ! -s "$T/err" ]' "every driver found: exit $rc, stderr $(cat "$T/err")"
for p in cpufreq rapl hwmon nvml pci; do
    check 'grep -q "^plugin $p 1.0 (ABI 1.3, hardware, read-only)" "$T/out"' \
        "$p listed, read-only"
done
# Values: gauges as read, invalid as "invalid", counters with their rate.
check 'grep -q "^    signal  freq  *Hz  *gauge  *2.2e+09  *current clock" "$T/out"' \
    "cpufreq0's clock: $(grep "signal  freq " "$T/out" | head -n 1)"
check 'grep -A 14 "device ltc2978-0" "$T/out" | grep -q "^    signal  power  *W  *gauge  *24.5  *ltc2978-0 total power"' \
    "ltc2978-0's power total"
check 'grep -q "^    signal  power  *W  *gauge  *13.1  *ina3221-1 total power" "$T/out"' \
    "ina3221-1's power total"
check 'grep -q "^    signal  power  *W  *gauge  *123.456  *gpu0 (Fake GPU 0) power draw" "$T/out"' \
    "gpu0's power from the fake NVML"
check 'grep -q "^    signal  link_width  *1  *gauge  *invalid  *pci:0000:04:00.0" "$T/out"' \
    "an unreadable link is invalid"
check 'grep "package-0 energy" "$T/out" | grep -q "counter  *1[0-9][0-9.]* (+[1-9][0-9.e+]* W)"' \
    "the package energy counter with its power: $(grep "package-0 energy" "$T/out")"
check 'grep "package-0/dram energy" "$T/out" | grep -q "counter  *7 (+0 W)"' \
    "a counter standing still: $(grep "package-0/dram energy" "$T/out")"

# Only RAPL here and no NVML library: the others are left out, one
# warning each, naming the host lab's entry.
mkdir -p "$T/rapl" && cp -R "$F/rapl/intel/." "$T/rapl/" || exit 1
WATTSON_SYSFS_ROOT="$T/rapl" WATTSON_NVML_LIB="$T/none/libnvidia-ml.so.1" \
    "$W" plugins --host >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 0 ]' "rapl only: exit $rc ($(cat "$T/err"))"
check '[ "$(wc -l <"$T/err")" -eq 4 ] && [ "$(grep -c "^wattson: warning: <host lab>: drivers.[1345] (optional): found nothing, left out: " "$T/err")" -eq 4 ]' \
    "rapl only: four warnings: $(cat "$T/err")"
check '[ "$(grep -c "^plugin " "$T/out")" -eq 1 ] && grep -q "^plugin rapl " "$T/out"' \
    "rapl only: rapl listed alone"

# Nothing at all: exit 4, as for any lab whose drivers find nothing.
WATTSON_SYSFS_ROOT="$T/empty" WATTSON_NVML_LIB="$T/none/libnvidia-ml.so.1" \
    "$W" plugins --host >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 4 ] && tail -n 1 "$T/err" | grep -q "^wattson: <host lab>: none of the lab.s drivers found any hardware here$" && [ ! -s "$T/out" ]' \
    "nothing found: exit $rc: $(tail -n 1 "$T/err")"

# --host is plugins' only, and is a lab of its own.
expect_fail 2 "^wattson: plugins: --host and --lab conflict" -- plugins --host --lab "$T/x.lua"
expect_fail 2 "^wattson: run does not take --host" -- run --host
finish
