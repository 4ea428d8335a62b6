# `wattson plugins` with a lab naming the rapl driver: against a copy of
# the intel fixture, and with no root on this machine (where there may or
# may not be RAPL zones).  Usage: rapl_cli.sh WATTSON FIXTURES
W=${1:?usage: $0 path/to/wattson fixtures}
F=${2:?usage: $0 path/to/wattson fixtures}
# T, check and finish: the integration scripts' helpers.
. "$(dirname "$0")/../../integration/lib.sh"
unset WATTSON_SYSFS_ROOT WATTSON_PLUGIN_PATH

cp -R "$F/intel/." "$T/" || exit 1
cat >"$T/lab.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "rapl", root = "." } } }
LAB
"$W" plugins --lab "$T/lab.lua" >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 0 ]' "plugins on the fixture: exit $rc ($(cat "$T/err"))"
check 'grep -q "^plugin rapl 1.0 (ABI 1.3, hardware, read-only)" "$T/out"' \
    "rapl is listed as hardware, read-only"
for d in "package-0 (rail)" "package-0/core (rail)" "package-0/dram (rail)"; do
    check 'grep -q "device $d" "$T/out"' "device $d listed"
done
check '[ "$(grep -c "control power_cap" "$T/out")" -eq 2 ]' "two power caps"
check 'grep -q "power_cap *W *min 1 *max 150 " "$T/out"' "package cap range"
check '[ "$(grep -c "signal  energy" "$T/out")" -eq 3 ]' "three energy counters"
check '! grep -q mmio "$T/out"' "intel-rapl-mmio skipped"

# No root: the machine's own /sys.
cat >"$T/lab2.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "rapl" } } }
LAB
"$W" plugins --lab "$T/lab2.lua" >"$T/out" 2>"$T/err"
rc=$?
if ls -d /sys/class/powercap/intel-rapl:* >/dev/null 2>&1; then
    echo "rapl_cli: this machine has RAPL zones: expecting them listed" >&2
    check '[ $rc -eq 0 ]' "plugins on /sys: exit $rc ($(cat "$T/err"))"
else
    check '[ $rc -eq 4 ]' "plugins without zones: exit $rc, expected 4"
    check '[ "$(wc -l <"$T/err")" -eq 1 ]' "one line: $(cat "$T/err")"
    check 'grep -q "rapl: no powercap zones under /sys/class/powercap (" "$T/err"' \
        "message: $(cat "$T/err")"
    check '[ ! -s "$T/out" ]' "nothing on stdout"
fi

finish
