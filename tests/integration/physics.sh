# The run's books balance: the reported energy is the integral of the
# traced power; work is conserved (arrived = served + backlog); the
# summary's figures follow from the trace.
. "$TESTS/lib.sh"

for lab in default thermal-stress trace-replay; do
    if [ "$lab" = default ]; then labarg=""; else
        labarg="--lab $WATTSON_SOURCE_DIR/lua-policies/labs/$lab.lua"; fi
    # shellcheck disable=SC2086
    "$W" run $labarg --duration 30s --out "$T/$lab.jsonl" >"$T/$lab.sum" 2>"$T/$lab.err"
    check '[ $? -eq 0 ]' "$lab run: $(cat "$T/$lab.err")"
    python3 - "$T/$lab.jsonl" >"$T/$lab.py" 2>&1 <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
head, ticks, s = lines[0], lines[1:-1], lines[-1]
assert head["type"] == "header" and s["type"] == "summary"
tick = head["tick_s"]
# Energy: sum of per-device mean power x interval = the energy counters.
e = sum(v["power"] * tick for t in ticks for v in t["dev"].values()
        if v.get("power") is not None)
assert abs(e - s["energy_j"]) <= 1e-6 * max(1.0, s["energy_j"]), (e, s["energy_j"])
assert s["energy_j"] > 0
# Work conservation, overall and per device at the end.
assert abs(s["work_arrived"] - s["work_served"] - s["backlog_end"]) <= 1e-6 * max(1.0, s["work_arrived"]), s
last = ticks[-1]["dev"]
for name, v in last.items():
    if "work_arrived" in v:
        assert abs(v["work_arrived"] - v["work_served"] - v["backlog"]) <= 1e-6 * max(1.0, v["work_arrived"]), (name, v)
# Peak and mean power agree with the trace.
peak = max(t["power_w"] for t in ticks)
assert abs(peak - s["peak_power_w"]) <= 1e-6 * peak, (peak, s["peak_power_w"])
assert abs(s["mean_power_w"] - s["energy_j"] / s["sim_seconds"]) <= 1e-6 * s["mean_power_w"]
# Budget violations are exactly the ticks over budget.
if s["budget_w"] > 0:
    over = sum(1 for t in ticks if t["power_w"] > s["budget_w"] * (1 + 1e-9))
    assert over == s["budget_violations"], (over, s["budget_violations"])
# Controls in the trace never leave their declared ranges.
rng = {(d["name"], c): (r["min"], r["max"]) for d in head["devices"] for c, r in d["controls"].items()}
for t in ticks:
    for name, v in t["dev"].items():
        for k, x in v.items():
            if k.startswith("set.") and x is not None:
                lo, hi = rng[(name, k[4:])]
                assert lo <= x <= hi, (name, k, x)
print("ok", len(ticks), s["energy_j"], s["mean_latency_s"])
PY
    check '[ $? -eq 0 ]' "$lab books: $(cat "$T/$lab.py")"
done
finish
