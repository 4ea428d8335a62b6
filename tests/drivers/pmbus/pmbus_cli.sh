# `wattson plugins` with a lab naming the pmbus driver, on this machine's
# real i2c-dev code (no emulator): a root whose dev/i2c-0 is missing, then
# one where it is a plain file (its I2C_SLAVE ioctl fails), then no
# devices at all.  Each is "found nothing": exit 4 and one line naming
# bus, address, path and reason.  A bad address or `pec` value is a lab
# error: exit 3, one line naming the key.  Usage: pmbus_cli.sh WATTSON
W=${1:?usage: $0 path/to/wattson}
. "$(dirname "$0")/../../integration/lib.sh"
unset WATTSON_SYSFS_ROOT WATTSON_PLUGIN_PATH

mkdir -p "$T/rig/dev"
cat >"$T/lab.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "pmbus", root = "rig", devices = { "0:0x40" } } } }
LAB
"$W" plugins --lab "$T/lab.lua" >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 4 ]' "missing /dev/i2c-0: exit $rc, expected 4 ($(cat "$T/err"))"
check 'grep -qF "pmbus: no PMBus device answered (i2c-0 0x40: cannot open $T/rig/dev/i2c-0: No such file or directory)" "$T/err"' \
    "missing: names the path: $(cat "$T/err")"
check '[ "$(wc -l <"$T/err")" -eq 1 ]' "missing: one line"

: >"$T/rig/dev/i2c-0"
"$W" plugins --lab "$T/lab.lua" >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 4 ]' "plain file: exit $rc, expected 4 ($(cat "$T/err"))"
check 'grep -qF "i2c-0 0x40: cannot open $T/rig/dev/i2c-0: Inappropriate ioctl for device" "$T/err"' \
    "plain file: the ioctl's error: $(cat "$T/err")"

cat >"$T/lab2.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "pmbus" } } }
LAB
"$W" plugins --lab "$T/lab2.lua" >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 4 ]' "no devices: exit $rc, expected 4"
check 'grep -qF "no devices configured" "$T/err"' "no devices: $(cat "$T/err")"

cat >"$T/lab3.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "pmbus", devices = { "0:0x99" } } } }
LAB
"$W" plugins --lab "$T/lab3.lua" >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 3 ]' "bad address: exit $rc, expected 3 (a lab error): $(cat "$T/err")"
check 'grep -qF "devices.1" "$T/err"' "bad address names the key: $(cat "$T/err")"

cat >"$T/lab4.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "pmbus", pec = "maybe", devices = { "0:0x40" } } } }
LAB
"$W" plugins --lab "$T/lab4.lua" >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 3 ]' "bad pec: exit $rc, expected 3 (a lab error): $(cat "$T/err")"
check 'grep -qF "config key '"'pec'"': expected \"auto\"" "$T/err"' \
    "bad pec names the key: $(cat "$T/err")"
check '[ "$(wc -l <"$T/err")" -eq 1 ]' "bad pec: one line: $(cat "$T/err")"
finish
