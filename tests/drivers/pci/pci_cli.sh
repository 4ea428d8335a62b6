# `wattson plugins` with a lab naming the pci driver: against a copy of
# the accel fixture, and with `all = true` on this machine's own /sys
# (every PCI function libpci finds there must be listed).
# Usage: pci_cli.sh WATTSON FIXTURES
W=${1:?usage: $0 path/to/wattson fixtures}
F=${2:?usage: $0 path/to/wattson fixtures}
# T, check and finish: the integration scripts' helpers.
. "$(dirname "$0")/../../integration/lib.sh"
unset WATTSON_SYSFS_ROOT WATTSON_PLUGIN_PATH

cp -R "$F/accel/." "$T/" || exit 1
cat >"$T/lab.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "pci", root = "." } } }
LAB
"$W" plugins --lab "$T/lab.lua" >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 0 ]' "plugins on the fixture: exit $rc ($(cat "$T/err"))"
check 'grep -q "^plugin pci 1.0 (ABI 1.3, hardware, read-only)" "$T/out"' \
    "pci is listed as hardware, read-only"
for d in "pci:0000:00:02.0 (gpu)" "pci:0000:01:00.0 (gpu)" \
    "pci:0000:02:00.0 (accel)" "pci:0000:03:00.0 (fpga)" \
    "pci:0000:04:00.0 (fpga)"; do
    check 'grep -q "device $d" "$T/out"' "device $d listed"
done
check '[ "$(grep -c "^  device " "$T/out")" -eq 5 ]' "five accelerators only"
check '! grep -q "0000:00:1f.3" "$T/out"' "audio function filtered out"
check 'grep -q "GeForce RTX 3090" "$T/out"' "names from pci.ids"
check '[ "$(grep -c "signal  link_bandwidth " "$T/out")" -eq 3 ]' \
    "three links in sysfs"
check '! grep -q "control " "$T/out"' "no controls"

# A tree without accelerators: one line, exit 4.
rm -rf "${T:?}/sys"
cp -R "$F/none/." "$T/" || exit 1
"$W" plugins --lab "$T/lab.lua" >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 4 ]' "no accelerators: exit $rc, expected 4"
check '[ "$(wc -l <"$T/err")" -eq 1 ]' "one line: $(cat "$T/err")"
check 'grep -q "pci: no accelerators" "$T/err"' "message: $(cat "$T/err")"

# This machine, `all = true`: a device line per function in /sys/bus/pci.
cat >"$T/lab2.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "pci", all = true } } }
LAB
"$W" plugins --lab "$T/lab2.lua" >"$T/out" 2>"$T/err"
rc=$?
n=$(ls /sys/bus/pci/devices 2>/dev/null | wc -l)
echo "pci_cli: this machine has $n PCI functions; wattson plugins says:" >&2
cat "$T/out" >&2
if [ "$n" -gt 0 ]; then
    check '[ $rc -eq 0 ]' "plugins on /sys: exit $rc ($(cat "$T/err"))"
    check '[ "$(grep -c "^  device pci:" "$T/out")" -eq "$n" ]' \
        "one device line per function"
    check '[ "$(grep -c "^  device pci:" "$T/out")" -ge 1 ]' \
        "at least one device"
    for a in $(ls /sys/bus/pci/devices); do
        check 'grep -q "device pci:$a " "$T/out"' "$a listed"
    done
else
    check '[ $rc -eq 4 ]' "no PCI bus: exit $rc, expected 4"
fi

finish
