# Driver trouble is counted, never hidden and never fatal: read errors,
# intermittently invalid signals, a wrapping energy counter; and the
# recorder plugin confirms no out-of-range value ever reaches a driver.
. "$TESTS/lib.sh"
P="$WATTSON_TEST_PLUGIN_DIR"

cat >"$T/lab.lua" <<LAB
return { duration = "3s", budget_w = 50,
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
finish
