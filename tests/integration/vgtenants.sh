# The GPU tenants' engine (issue 16) on real headless runs of the
# simulated lab's tenants: the summary's vgpu_* keys, each allocator mode
# from the lab's `vgpu` table, the Lua policy's state.gpu and
# out.gpu.shares (a share a policy gives takes effect; NaN is refused by
# the guard), out.gpu.rules reaching the request API (a denied type is
# refused by policy), the lab table's errors, and `bench vgpu`'s ranking
# of the allocators on the lab their constants were set on.
. "$TESTS/lib.sh"
L="$WATTSON_SOURCE_DIR/lua-policies/labs"

key() { tr ',' '\n' <"$1" | sed -n "s/^\"$2\":\\(.*\\)$/\\1/p"; }

# ---- the summary -------------------------------------------------------
"$W" run --lab "$L/gpu-tenants.lua" --duration 30s >"$T/s1" 2>"$T/e1"
check '[ $? -eq 0 ] && [ "$(key "$T/s1" vgpu_tenants)" = 6 ]' \
    "six tenants: $(cat "$T/s1" "$T/e1")"
check 'awk "BEGIN{exit !($(key "$T/s1" vgpu_util) > 0.3 && $(key "$T/s1" vgpu_util) <= 1)}"' \
    "utilisation in (0.3, 1]: $(key "$T/s1" vgpu_util)"
check '[ "$(key "$T/s1" vgpu_tenant_s)" = 180 ] && [ "$(key "$T/s1" vgpu_reallocs)" -gt 0 ]' \
    "180 tenant-seconds and some reallocations: $(key "$T/s1" vgpu_tenant_s) $(key "$T/s1" vgpu_reallocs)"

# ---- the trace's engine metrics (format 2) -----------------------------
"$W" run --lab "$L/gpu-tenants.lua" --duration 5s --out "$T/gt.jsonl" >/dev/null 2>&1
cat >"$T/gt.py" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
h, ticks = lines[0], [l for l in lines if l["type"] == "tick"]
assert h["format"] == 2 and h["wattson"] == sys.argv[2], (h["format"], h["wattson"])
fam = h["eng"]["vgpu_sm_share_ratio"]
assert fam["type"] == "gauge" and fam["label"] == "tenant", fam
last = ticks[-1]["eng"]
shares = last["vgpu_sm_share_ratio"]
assert len(shares) == 6, shares
assert all(0 < v <= 1 for v in shares.values()), shares
assert last["vgpu_reallocs"] == lines[-1]["vgpu_reallocs"], (last["vgpu_reallocs"], lines[-1]["vgpu_reallocs"])
print("ok")
PY
ver=$("$W" --version | awk '{print $2}')
check 'python3 "$T/gt.py" "$T/gt.jsonl" "$ver" >"$T/gt.out" 2>&1' \
    "trace format 2: the version, the vGPU shares of six tenants each tick, reallocs as the summary's: $(cat "$T/gt.out")"

# ---- modes from the lab's table ----------------------------------------
for m in off static reactive predictive; do
    sed "s/mode = \"predictive\"/mode = \"$m\"/" "$L/vgpu/mix.lua" >"$T/mix-$m.lua"
    "$W" run --lab "$T/mix-$m.lua" --policy builtin:performance --duration 120s >"$T/m-$m" 2>&1
done
check '[ "$(key "$T/m-off" vgpu_reallocs)" = 0 ] && [ "$(key "$T/m-static" vgpu_reallocs)" -le 3 ]' \
    "off never shares, static once per set of tenants: $(key "$T/m-off" vgpu_reallocs) $(key "$T/m-static" vgpu_reallocs)"
check 'awk "BEGIN{exit !($(key "$T/m-predictive" vgpu_slo_violation_s) < $(key "$T/m-static" vgpu_slo_violation_s) && $(key "$T/m-static" vgpu_slo_violation_s) < $(key "$T/m-off" vgpu_slo_violation_s))}"' \
    "SLO time predictive < static < off: $(key "$T/m-predictive" vgpu_slo_violation_s) $(key "$T/m-static" vgpu_slo_violation_s) $(key "$T/m-off" vgpu_slo_violation_s)"

# ---- the Lua policy: state.gpu, out.gpu.shares -------------------------
cat >"$T/see.lua" <<'LUA'
local n = 0
local function on_tick(state, out)
  n = n + 1
  if n == 50 then
    for _, t in ipairs(state.gpu.tenants) do
      print(string.format("tenant %s pid=%d gpu=%s kind=%s sm=%.3f share=%.3f pred=%s sig=%d",
        t.name, t.pid, t.gpu, t.perf_kind, t.sm, t.share_sm,
        tostring(t.pred_sm == t.pred_sm), t.signature.sm >= 0 and 1 or 0))
    end
    print("mode " .. state.gpu.mode .. " clients " .. #state.gpu.clients)
  end
end
return { api = 1, on_tick = on_tick }
LUA
"$W" run -v --lab "$L/gpu-tenants.lua" --duration 10s --policy "$T/see.lua" >"$T/s2" 2>"$T/e2"
check 'grep -q "tenant render pid=5001 gpu=gpu0 kind=fps sm=0\.[0-9]* share=0\.[0-9]* pred=true sig=1" "$T/e2"' \
    "state.gpu.tenants: $(grep tenant "$T/e2" | head -3)"
check 'grep -q "tenant serve-b pid=5101 gpu=gpu1 kind=latency" "$T/e2" && grep -q "mode predictive clients 0" "$T/e2"' \
    "a server on gpu1, the mode, no API clients: $(grep 'serve-b\|mode' "$T/e2")"

# A policy that starves the renderer: it violates its SLO on more ticks
# than under the engine's shares; then a NaN share: refused by the guard,
# counted.  Both policies count the renderer's violating ticks.
count='local bad, n = 0, 0
local function tally(state)
  n = n + 1
  for _, t in ipairs(state.gpu.tenants) do
    if t.name == "render" and t.violating then bad = bad + 1 end
  end
  if n == 300 then print("render violating " .. bad) end
end'
printf '%s\n%s\n' "$count" 'return { api = 1, on_tick = function(state, out)
  tally(state); out.gpu.shares.render = { sm = 0.05 } end }' >"$T/starve.lua"
printf '%s\n%s\n' "$count" 'return { api = 1, on_tick = function(state, out)
  tally(state) end }' >"$T/none.lua"
cat >"$T/nan.lua" <<'LUA'
local function on_tick(state, out)
  out.gpu.shares.render = { sm = 0 / 0 }
end
return { api = 1, on_tick = on_tick }
LUA
"$W" run -v --lab "$L/gpu-tenants.lua" --duration 30s --policy "$T/none.lua" >"$T/s3" 2>"$T/e3"
"$W" run -v --lab "$L/gpu-tenants.lua" --duration 30s --policy "$T/starve.lua" >"$T/s4" 2>"$T/e4"
b3=$(sed -n 's/.*render violating \([0-9]*\)$/\1/p' "$T/e3")
b4=$(sed -n 's/.*render violating \([0-9]*\)$/\1/p' "$T/e4")
check '[ -n "$b3" ] && [ -n "$b4" ] && [ "$b4" -ge 290 ] && [ "$b4" -gt "$b3" ]' \
    "a renderer held at 5 % of the SMs violates on nearly every tick: $b4 of 300, $b3 without"
"$W" run --lab "$L/gpu-tenants.lua" --duration 5s --policy "$T/nan.lua" >"$T/s5" 2>&1
check '[ "$(key "$T/s5" rejected_decisions)" -ge 40 ] && [ "$(key "$T/s3" rejected_decisions)" = 0 ]' \
    "a NaN share is refused every tick: $(key "$T/s5" rejected_decisions)"

# ---- out.gpu.rules reach the request API -------------------------------
cat >"$T/deny.lua" <<'LUA'
local function on_tick(state, out)
  out.gpu.rules.compute = { deny = true }
  out.gpu.rules.memory = { max_per_client = 1e9 }
end
return { api = 1, on_tick = on_tick }
LUA
S="$T/vg.sock"
"$W" run --realtime --lab "$L/gpu-tenants.lua" --duration 60s --policy "$T/deny.lua" \
    --vgpu-socket "$S" >"$T/s6" 2>"$T/e6" &
pid=$!
i=0
while [ $i -lt 300 ] && [ ! -S "$S" ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
"$W" vgpu --socket "$S" request compute 0.1 >"$T/v1" 2>&1
check '[ $? -eq 1 ] && grep -q "EPOLICY" "$T/v1"' "compute denied by the policy: $(cat "$T/v1")"
"$W" vgpu --socket "$S" request memory 4GB >"$T/v2" 2>&1
check '[ $? -eq 0 ] && grep -q "granted=1e+09 .*partial=1" "$T/v2"' \
    "memory capped at 1 GB per client by the policy: $(cat "$T/v2")"
kill -INT $pid
wait $pid

# ---- out.gpu.reserve: the policy's own request and release calls -------
# It holds half of gpu0 from tick 20 to 200, then lets go: while it holds,
# state.gpu.held says so, available is what is left, and the tenants of
# gpu0 share at most the other half.
cat >"$T/reserve.lua" <<'LUA'
local n, worst = 0, 0
local function on_tick(state, out)
  n = n + 1
  local g = state.gpu
  if n >= 20 and n < 200 then out.gpu.reserve.gpu0 = { compute = 0.5 } end
  if n >= 30 and n < 200 then
    local sum = 0
    for _, t in ipairs(g.tenants) do
      if t.gpu == "gpu0" and t.share_sm == t.share_sm then sum = sum + t.share_sm end
    end
    if sum > worst then worst = sum end
  end
  if n == 100 then
    print(string.format("held %.3f available %.3f clients %d", g.held.gpu0.compute,
      g.available.gpu0.compute, #g.clients))
  end
  if n == 250 then
    print(string.format("after held %.3f worst %.3f", g.held.gpu0.compute, worst))
  end
end
return { api = 1, on_tick = on_tick }
LUA
"$W" run -v --lab "$L/gpu-tenants.lua" --duration 30s --policy "$T/reserve.lua" >"$T/s7" 2>"$T/e7"
check 'grep -q "held 0.500 available 0.[0-9]* clients 1$" "$T/e7"' \
    "the policy holds 0.5 of gpu0, one client in the book: $(grep held "$T/e7")"
w=$(sed -n 's/.*after held 0.000 worst \([0-9.]*\)$/\1/p' "$T/e7")
check '[ -n "$w" ] && awk "BEGIN{exit !($w <= 0.5 + 1e-9 && $w > 0.3)}"' \
    "released after; gpu0's tenants shared at most the other half meanwhile: $(grep after "$T/e7")"

# ---- a policy that writes nonsense into out.gpu ------------------------
# Tables where numbers go, strings where tables go, NaN, infinity and
# negative reservations, a GPU that does not exist: nothing breaks, the
# guard refuses the share "x", and the policy never fails.
cat >"$T/hostile.lua" <<'LUA'
local n = 0
return { api = 1, on_tick = function(state, out)
  n = n + 1
  local k = n % 6
  if k == 0 then out.gpu.shares = 5
  elseif k == 1 then out.gpu.shares.render = 5; out.gpu.rules.compute = 7
  elseif k == 2 then out.gpu.shares.render = { sm = "x", mem = {} }
  elseif k == 3 then out.gpu.reserve = 5; out.gpu.rules = "no"
  elseif k == 4 then out.gpu.reserve.gpu0 = 5; out.gpu.reserve.nogpu = { compute = 1 }
  else out.gpu.reserve.gpu0 = { compute = -1, memory = 0/0, power = 1/0 } end
end }
LUA
"$W" run --lab "$L/gpu-tenants.lua" --duration 20s --policy "$T/hostile.lua" >"$T/s8" 2>"$T/e8"
check '[ $? -eq 0 ] && [ "$(key "$T/s8" policy_errors)" = 0 ] && [ "$(key "$T/s8" rejected_decisions)" -ge 30 ]' \
    "nonsense in out.gpu: no failure, the non-numeric share refused: $(key "$T/s8" policy_errors) $(key "$T/s8" rejected_decisions) $(tail -n 2 "$T/e8")"

# ---- the lab's table ---------------------------------------------------
sed 's/mode = "predictive"/mode = "psychic"/' "$L/vgpu/mix.lua" >"$T/bad1.lua"
expect_fail 3 "vgpu.mode: 'psychic' is not one of predictive, reactive, static, off" -- run --lab "$T/bad1.lua" --duration 1s
sed 's/{ name = "batch", priority = 0, min_sm = 0.15 }/{ name = "batch", priority = 0, min_sm = 1.5 }/' \
    "$L/vgpu/mix.lua" >"$T/bad2.lua"
expect_fail 3 "vgpu.tenants.3.min_sm: must be in \[0, 1\], got 1.5" -- run --lab "$T/bad2.lua" --duration 1s

# ---- bench vgpu on the tuning lab: the allocators' ranking -------------
"$W" bench vgpu "$L/vgpu/mix.lua" >"$T/b" 2>"$T/be"
check '[ $? -eq 0 ] && [ "$(grep -c "^  perfect " "$T/b")" = 4 ]' \
    "three seeds and a mean, each with every allocator: $(tail -n 3 "$T/b" "$T/be")"
mean() { sed -n '/mean over the seeds/,$p' "$T/b" | awk -v a="$1" '$1 == a {print $3}'; }
check 'awk "BEGIN{exit !($(mean predictive) < $(mean reactive) && $(mean reactive) < $(mean static) && $(mean static) < $(mean off))}"' \
    "SLO time predictive < reactive < static < off on mix: $(mean predictive) $(mean reactive) $(mean static) $(mean off)"
check 'grep -q "^aims, on the last lab" "$T/b" && grep -q "phase-changing tenants" "$T/b"' "the aims are printed"
finish
