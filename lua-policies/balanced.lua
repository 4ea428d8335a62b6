-- balanced.lua - load balancing: every processing unit (PU) is kept at
-- the same utilisation, whatever its load, part or priority.
--
-- Work cannot move between the simulated PUs (each has its own queue), so
-- the load is balanced the other way round: each PU's capacity is fitted
-- to its load so that all of them run equally busy.
--
--   frequency  each PU's clock is set so that its utilisation approaches
--              a common target U (0.75): f = demand / (U x op per cycle),
--              demand = forecast + backlog drained within half the
--              deadline.  A small integral term per PU (the mean gap
--              between its measured utilisation and U) corrects the
--              P-state rounding, so utilisations converge on U rather
--              than only bracket it.
--   power      every PU asks for its expected draw at that clock.  Under
--              budget the spare watts are shared in proportion to those
--              draws; over budget wattson.waterfill gives every PU the
--              same fraction of what it asks above its cap's minimum
--              (weight = ask - minimum), so no unit is starved while
--              another runs free: their utilisations (and backlogs) rise
--              together.
--
-- No priorities: see priority.lua for the opposite choice.
-- Scenario: labs/scenario-balance.lua (tests/integration/policies.sh).
-- Every table is made in on_load; a tick only overwrites numbers (this is
-- the policy `wattson bench policy16/policy256` measures).

local clamp, waterfill -- library functions, set in on_load

local U = 0.75      -- the common utilisation target
local KI = 0.02     -- integral gain, per tick
local pus, n = {}, 0
-- Per PU, the sub-tables a tick reads (their identity never changes, so
-- they are looked up once here rather than every tick for every PU).
local sigs, oks, cfs, ccs, fcs, outs = {}, {}, {}, {}, {}, {}
local corr = {}     -- per PU: integral correction of the clock (factor)
local ci = {}       -- per PU: index into the cap arrays (0 = no cap)
local capdev = {}   -- per cap: the PU
local need, floor, weight, alloc = {}, {}, {}, {}
local ncap = 0

local function on_load(ctx)
  clamp, waterfill = wattson.clamp, wattson.waterfill
  for _, d in ipairs(ctx.state.devices) do
    if d.pu then
      n = n + 1
      pus[n], corr[n], ci[n] = d, 1, 0
      sigs[n], oks[n], fcs[n] = d.sig, d.ok, d.forecast
      cfs[n], ccs[n] = d.ctl.freq or false, d.ctl.power_cap or false
      if d.ctl.power_cap then
        ncap = ncap + 1
        ci[n], capdev[ncap] = ncap, d
        need[ncap], floor[ncap], weight[ncap], alloc[ncap] = 0, 0, 0, 0
      end
    end
  end
end

local function on_tick(state, out)
  local total = 0
  if outs[1] == nil then
    for k = 1, n do outs[k] = out[pus[k].name] end
  end
  for k = 1, n do
    local sig, ok = sigs[k], oks[k]
    local cf, cc = cfs[k], ccs[k]
    local f, thr = sig.freq, sig.throughput
    local ft = cf and cf.max or 0
    local known = cf and ok.freq and f > 0 and ok.throughput and thr > 0
    if known then
      local dem = fcs[k].demand
      if dem ~= dem then dem = thr end
      local dl = sig.deadline
      if not ok.deadline or not (dl > 0) then dl = 0.1 end
      if ok.backlog and sig.backlog > 0 then
        dem = dem + sig.backlog / (0.5 * dl)
      end
      -- integral correction on the utilisation error, only while the
      -- clock can follow it (no wind-up at the ends of the range)
      local raw = corr[k] * f * dem / (thr * U)
      local lo, hi = cf.min, cf.max
      if ok.util and raw > lo and raw < hi then
        corr[k] = clamp(corr[k] * (1 + KI * (sig.util - U)), 0.5, 2)
      end
      -- inline clamp: this line runs for every PU every tick
      ft = raw < lo and lo or (raw > hi and hi or raw)
    elseif cf and ok.freq and ok.util and f > 0 then
      ft = clamp(f * sig.util / U, cf.min, cf.max) -- no throughput model
    end
    if cf then outs[k].freq = ft end
    local j = ci[k]
    if j > 0 then
      local est = cc.max
      if known and ok.power then
        local r = ft / f
        est = sig.power * r * r
      end
      est = clamp(est, cc.min, cc.max)
      need[j], floor[j], weight[j] = est, cc.min, est - cc.min
      total = total + est
    end
  end
  if ncap == 0 then return end

  local budget = state.budget_w
  if budget > 0 and total > budget then
    waterfill(budget, need, floor, weight, alloc)
  elseif budget > 0 then
    local spare = budget - total
    for j = 1, ncap do
      alloc[j] = need[j] + spare * need[j] / total
    end
  else
    for j = 1, ncap do alloc[j] = capdev[j].ctl.power_cap.max end
  end
  for j = 1, ncap do
    local cc = capdev[j].ctl.power_cap
    out[capdev[j].name].power_cap = clamp(alloc[j], cc.min, cc.max)
  end
end

return { api = 1, on_load = on_load, on_tick = on_tick }
