# Driver trouble is counted, never hidden and never fatal: read errors,
# intermittently invalid signals, a wrapping energy counter; and the
# recorder plugin confirms no out-of-range value ever reaches a driver.
. "$TESTS/lib.sh"
P="$WATTSON_TEST_PLUGIN_DIR"

cat >"$T/lab.lua" <<LAB
-- The built-in C policy: it writes every control, which the recorder
-- checks (a sim-only lab's default, the broker, needs P-state tables).
return { duration = "3s", budget_w = 50, policy = "builtin",
  drivers = { { plugin = "readerr" }, { plugin = "flaky" },
              { plugin = "recorder", n = 3, log = "$T/rec.log" } } }
LAB
"$W" run --lab "$T/lab.lua" --plugin-dir "$P" --out "$T/t.jsonl" >"$T/sum" 2>"$T/err"
check '[ $? -eq 0 ]' "run: $(cat "$T/err")"
python3 - "$T/t.jsonl" >"$T/py" 2>&1 <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ticks, s = lines[1:-1], lines[-1]
# readerr fails every 3rd read (the priming read is the 1st).
assert s["driver_errors"] == (len(ticks) + 1) // 3, (s["driver_errors"], len(ticks))
assert s["invalid_samples"] > 0
# flaky's power is missing on odd reads: null in the trace, not zero.
nulls = sum(1 for t in ticks if t["dev"]["fl0"]["power"] is None)
assert nulls >= len(ticks) // 2 - 1, nulls
# flaky's energy counter wraps at 1000 (7.5 per read): energy keeps rising.
assert s["energy_j"] >= 7.5 * (len(ticks) - 1) - 1e-6, s["energy_j"]
print("ok", s["driver_errors"], s["invalid_samples"], s["energy_j"])
PY
check '[ $? -eq 0 ]' "counts: $(cat "$T/py")"
check '[ -s "$T/rec.log" ]' "the recorder was written to"
check '! grep -q VIOLATION "$T/rec.log"' "no out-of-range value reached the recorder"

# One lab for several machines: a real driver marked `optional = true`
# that finds no hardware here is left out with one warning; without the
# mark it stops the run (exit 4); a lab where nothing is found at all is
# refused; `optional` must be a boolean.
FX="$WATTSON_SOURCE_DIR/tests/fixtures/sysfs"
mkdir -p "$T/empty"
opt_lab() { # CPUFREQ_OPTIONAL RAPL_ROOT
    cat >"$T/opt.lua" <<LAB
return { drivers = { { plugin = "cpufreq", root = "$T/empty", optional = $1 },
                     { plugin = "rapl", root = "$2", optional = true } } }
LAB
}
opt_lab true "$FX/rapl/intel"
"$W" plugins --lab "$T/opt.lua" >"$T/opt.out" 2>"$T/opt.err"
rc=$?
check '[ $rc -eq 0 ]' "optional: exit 0 (got $rc: $(cat "$T/opt.err"))"
check 'grep -q "^plugin rapl " "$T/opt.out" && ! grep -q "^plugin cpufreq" "$T/opt.out"' \
    "optional: rapl listed, cpufreq left out: $(head -n 3 "$T/opt.out")"
check '[ "$(wc -l <"$T/opt.err")" -eq 1 ] && grep -q "opt.lua: drivers.1 (optional): found nothing, left out: cpufreq: no cpufreq policies under $T/empty" "$T/opt.err"' \
    "optional: one warning naming the lab entry and the reason: $(cat "$T/opt.err")"
opt_lab false "$FX/rapl/intel"
"$W" plugins --lab "$T/opt.lua" >"$T/req.out" 2>"$T/req.err"
rc=$?
check '[ $rc -eq 4 ] && grep -q "no cpufreq policies" "$T/req.err"' \
    "not optional: exit 4 naming the reason (got $rc: $(cat "$T/req.err"))"
opt_lab true "$T/empty"
"$W" plugins --lab "$T/opt.lua" >"$T/none.out" 2>"$T/none.err"
rc=$?
check '[ $rc -eq 4 ] && grep -q "none of the lab.s drivers found any hardware here" "$T/none.err"' \
    "nothing found: exit 4 (got $rc: $(cat "$T/none.err"))"
opt_lab '"yes"' "$FX/rapl/intel"
expect_fail 3 "drivers.1.optional: expected boolean, got string" -- plugins --lab "$T/opt.lua"

# The summary's sources, one per device: energy from a device's energy
# counter once it advances, else from integrating its power reading;
# power from its power reading, else its counter's rate.  On the fixtures
# as they are (every counter standing still) the hwmon rails read 24.5 W
# (ltc2978, whose energy counter stands still) and 13.1 W (ina3221, no
# counter), RAPL nothing: energy, mean and peak agree on 37.6 W.
cp -R "$FX/hwmon/rails" "$T/rails" && cp -R "$FX/rapl/intel" "$T/rapl" || exit 1
cat >"$T/src.lua" <<LAB
return { tick = "100ms", duration = "1s",
  drivers = { { plugin = "hwmon", root = "$T/rails" },
              { plugin = "rapl", root = "$T/rapl" } } }
LAB
"$W" run --lab "$T/src.lua" >"$T/src.out" 2>"$T/src.err"
check '[ $? -eq 0 ]' "static counters: exit 0 ($(cat "$T/src.err"))"
python3 - "$T/src.out" >"$T/py" 2>&1 <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read())
assert abs(s["peak_power_w"] - 37.6) < 1e-9, s
assert abs(s["mean_power_w"] - 37.6) < 1e-6, s
assert abs(s["energy_j"] - 37.6 * s["sim_seconds"]) < 1e-6 * s["energy_j"], s
print("ok", s["energy_j"], s["mean_power_w"], s["peak_power_w"])
PY
check '[ $? -eq 0 ]' "static counters: energy, mean and peak agree: $(cat "$T/py")"
# RAPL alone, its package counter advancing 2 J every 50 ms: the peak
# power is the counter's rate (no power reading), and the mean is no
# more than the peak.
E="$T/rapl/sys/class/powercap/intel-rapl:0/energy_uj"
cat >"$T/rsrc.lua" <<LAB
return { tick = "100ms", duration = "1s",
  drivers = { { plugin = "rapl", root = "$T/rapl" } } }
LAB
(
    e=123456789 i=0
    while [ $i -lt 40 ]; do
        e=$((e + 2000000)) i=$((i + 1))
        printf '%s\n' "$e" >"$E.tmp" && mv "$E.tmp" "$E"
        sleep 0.05
    done
) &
bg=$!
"$W" run --lab "$T/rsrc.lua" >"$T/rsrc.out" 2>"$T/rsrc.err"
rc=$?
kill "$bg" 2>/dev/null
wait "$bg" 2>/dev/null
check '[ $rc -eq 0 ]' "advancing RAPL counter: exit 0 ($(cat "$T/rsrc.err"))"
python3 - "$T/rsrc.out" >"$T/py" 2>&1 <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read())
assert s["energy_j"] > 0 and abs(s["energy_j"] / 2 - round(s["energy_j"] / 2)) < 1e-6, s
assert s["peak_power_w"] > 0, s
assert s["mean_power_w"] <= s["peak_power_w"] * (1 + 1e-9), s
print("ok", s["energy_j"], s["mean_power_w"], s["peak_power_w"])
PY
check '[ $? -eq 0 ]' "advancing RAPL counter: peak from its rate: $(cat "$T/py")"
finish
