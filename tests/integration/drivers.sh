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
finish
