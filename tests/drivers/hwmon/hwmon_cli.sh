# `wattson plugins` with a lab naming the hwmon driver: against a copy of
# the ina fixture, and with no root on this machine (where there may or
# may not be hwmon devices).  Usage: hwmon_cli.sh WATTSON FIXTURES
W=${1:?usage: $0 path/to/wattson fixtures}
F=${2:?usage: $0 path/to/wattson fixtures}
# T, check and finish: the integration scripts' helpers.
. "$(dirname "$0")/../../integration/lib.sh"
unset WATTSON_SYSFS_ROOT WATTSON_PLUGIN_PATH

# hw_expect CLASS: the device lines `wattson plugins` must print for the
# hwmon class directory CLASS, worked out from the files the way hwmon.c
# reads them, into $T/want (in N order); hw_dirs: how many hwmonN.  A
# hwmonN directory (its attributes in device/ when it has no `name` but
# device/ has) is a device when it has a power, energy, current, voltage
# or temperature input, a power<N>_average or a power<N>_cap; it is named
# by `name` (each run of other characters than letters and digits one
# '_', none at either end), '-' and N, or hwmonN; it is a "rail" when it
# has power, energy, current or a cap, else a "sensor".
hw_expect() {
    hw_dirs=0
    for hw_d in "$1"/hwmon[0-9]*; do
        [ -e "$hw_d" ] || continue
        hw_n=${hw_d##*/hwmon}
        case $hw_n in *[!0-9]*) continue ;; esac
        hw_dirs=$((hw_dirs + 1))
        hw_a=$hw_d
        [ ! -f "$hw_d/name" ] && [ -f "$hw_d/device/name" ] && hw_a=$hw_d/device
        ls "$hw_a" >"$T/attrs" 2>/dev/null
        grep -Eq '^((power|energy|curr|in|temp)[0-9]+_input|power[0-9]+_(average|cap))$' \
            "$T/attrs" || continue
        hw_kind=sensor
        grep -Eq '^((power|energy|curr)[0-9]+_input|power[0-9]+_(average|cap))$' \
            "$T/attrs" && hw_kind=rail
        hw_name=$(head -n 1 "$hw_a/name" 2>/dev/null | tr -cs 'a-zA-Z0-9' _ |
            sed 's/^_//; s/_$//')
        if [ -n "$hw_name" ]; then hw_name=$hw_name-$hw_n; else hw_name=hwmon$hw_n; fi
        printf '%s\t  device %s (%s)\n' "$hw_n" "$hw_name" "$hw_kind"
    done | sort -n | cut -f 2- >"$T/want"
}

cp -R "$F/ina/." "$T/" || exit 1
cat >"$T/lab.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "hwmon", root = "." } } }
LAB
"$W" plugins --lab "$T/lab.lua" >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 0 ]' "plugins on the fixture: exit $rc ($(cat "$T/err"))"
check 'grep -q "^plugin hwmon 1.0 (ABI 1.3, hardware, read-only)" "$T/out"' \
    "hwmon is listed as hardware, read-only"
for d in "ina226-0 (rail)" "pmbus-3 (rail)"; do
    check 'grep -q "device $d" "$T/out"' "device $d listed"
done
for s in power_vdd curr_vdd in_vdd power_pin energy1 temp1; do
    check 'grep -q "signal  $s " "$T/out"' "signal $s listed"
done
# The totals the summary counts: a "power" on both rails, one "energy".
check '[ "$(grep -c "signal  power " "$T/out")" -eq 2 ]' "two power totals"
check '[ "$(grep -c "signal  energy " "$T/out")" -eq 1 ]' "one energy total"
check '[ "$(grep -c "control power_cap" "$T/out")" -eq 2 ]' "two power caps"
check 'grep -q "power_cap *W *min 1 *max 250 " "$T/out"' "power1 cap range"
hw_expect "$T/sys/class/hwmon"
check 'grep "^  device " "$T/out" | cmp -s - "$T/want"' \
    "hw_expect agrees on ina: $(cat "$T/want")"
cat "$T/out"

# A relative root and the nolabels fixture.
mkdir "$T/nl" && cp -R "$F/nolabels/." "$T/nl/" || exit 1
cat >"$T/lab3.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "hwmon", root = "nl" } } }
LAB
"$W" plugins --lab "$T/lab3.lua" >"$T/out" 2>"$T/err"
rc=$?
check '[ $rc -eq 0 ]' "plugins on nolabels: exit $rc ($(cat "$T/err"))"
check 'grep -q "device k10temp-0 (sensor)" "$T/out"' "k10temp-0 listed"
check '! grep -q "control" "$T/out"' "no controls on nolabels"
hw_expect "$T/nl/sys/class/hwmon"
check 'grep "^  device " "$T/out" | cmp -s - "$T/want"' \
    "hw_expect agrees on nolabels: $(cat "$T/want")"

# A headless run on the rails fixture: the summary's power is the rails'
# totals (ltc2978 pin 24.5 W, its outputs left out; ina3221 4.2 + 6.8 +
# 2.1 W), and its energy is ltc2978's input energy counter, which a
# background loop advances by 250 J every 50 ms (rename: atomic), plus
# ina3221's 13.1 W integrated (it has no energy counter).
mkdir "$T/rails" && cp -R "$F/rails/." "$T/rails/" || exit 1
E="$T/rails/sys/class/hwmon/hwmon0/energy1_input"
cat >"$T/lab4.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "hwmon", root = "rails" } } }
LAB
(
    e=5000000000 i=0
    while [ $i -lt 40 ]; do
        e=$((e + 250000000)) i=$((i + 1))
        printf '%s\n' "$e" >"$E.tmp" && mv "$E.tmp" "$E"
        sleep 0.05
    done
) &
bg=$!
"$W" run --lab "$T/lab4.lua" --out "$T/t.jsonl" >"$T/sum" 2>"$T/err"
rc=$?
kill "$bg" 2>/dev/null
wait "$bg" 2>/dev/null
check '[ $rc -eq 0 ]' "run on rails: exit $rc ($(cat "$T/err"))"
python3 - "$T/t.jsonl" >"$T/py" 2>&1 <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ticks, s = [l for l in lines if l.get("type") == "tick"], lines[-1]
assert s["type"] == "summary", s
assert abs(s["peak_power_w"] - 37.6) < 1e-6, s["peak_power_w"]
ctr = s["energy_j"] - 13.1 * s["sim_seconds"]
assert ctr > 0 and abs(ctr / 250 - round(ctr / 250)) < 1e-6, (ctr, s)
t = ticks[0]
assert t["dev"]["ltc2978-0"]["power"] == 24.5, t["dev"]["ltc2978-0"]
assert abs(t["dev"]["ina3221-1"]["power"] - 13.1) < 1e-9, t["dev"]["ina3221-1"]
assert "energy" not in t["dev"]["ina3221-1"]
print("ok", s["peak_power_w"], s["energy_j"])
PY
check '[ $? -eq 0 ]' "summary counts the rails: $(cat "$T/py")"
cat "$T/py"

# No root: the machine's own /sys.
cat >"$T/lab2.lua" <<LAB
return { tick = "100ms", duration = "1s", budget_w = 100,
  drivers = { { plugin = "hwmon" } } }
LAB
"$W" plugins --lab "$T/lab2.lua" >"$T/out" 2>"$T/err"
rc=$?
hw_expect /sys/class/hwmon
echo "hwmon_cli: /sys/class/hwmon: $hw_dirs hwmonN, $(wc -l <"$T/want")" \
    "with inputs wattson reads" >&2
if [ -s "$T/want" ]; then
    check '[ $rc -eq 0 ]' "plugins on /sys: exit $rc ($(cat "$T/err"))"
    check 'grep "^  device " "$T/out" | cmp -s - "$T/want"' \
        "devices on /sys: $(grep "^  device " "$T/out"), expected $(cat "$T/want")"
else
    if [ "$hw_dirs" -gt 0 ]; then
        why="no power, energy, current, voltage or temperature inputs)"
    else
        why="("
    fi
    check '[ $rc -eq 4 ]' "plugins without hwmon inputs: exit $rc, expected 4"
    check '[ "$(wc -l <"$T/err")" -eq 1 ]' "one line: $(cat "$T/err")"
    check 'grep -qF "hwmon: no hwmon devices under /sys/class/hwmon $why" "$T/err"' \
        "message: $(cat "$T/err")"
    check '[ ! -s "$T/out" ]' "nothing on stdout"
fi

finish
