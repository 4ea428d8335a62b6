-- efficiency.lua - energy efficiency: each processing unit (PU) runs at
-- the lowest clock that still serves its work in time.
--
-- Dynamic power is C x V^2 x f and voltage rises with the clock, so the
-- energy per operation falls with the clock: racing at a high P-state to
-- idle sooner costs more than running slower and busier (and the idle
-- time still pays leakage and idle switching).  So:
--
--   frequency  f = (forecast + backlog / (deadline / 4)) / op per cycle,
--              with 2 % headroom only.  The simulated governor runs the
--              highest P-state at or below the target, so a need between
--              two P-states alternates between them: the backlog built
--              at the lower one raises the next target.  That averages
--              exactly the needed clock, and the backlog term keeps the
--              queueing delay well inside the deadline.
--   power      the predictive broker's proposed cap (d.proposal.power_cap:
--              its table-based draw at the state it picked for the demand,
--              plus its share of the spare budget; the proposals together
--              fit budget_w).  Without a proposal: the cap sits just above
--              the draw expected at that clock (x 1.3 + 0.5 W, inside
--              [min, max]).  Caps that do not fit the budget are shared by
--              priority (wattson.waterfill).
--
-- Why the proposal's cap and not its clock (`wattson bench broker --with
-- lua-policies/efficiency.lua`, EDP J.s on bursty / step / diurnal /
-- pipeline): the old caps 9.51 / 2193 / 121700 / 427 (21573 misses on
-- diurnal: caps scaled from an idle unit's power held it down when work
-- came, and the waterfill by priority starved the rest); the broker's caps
-- 9.75 / 2204 / 10400 / 451 (263 misses), the same energy (within 0.3 %).
-- Taking the broker's clock too (min of it and the clock above) was no
-- better (9.75 / 2204 / 10400 / 725): its 1.1 x headroom is what this
-- policy's alternation between P-states saves.
--
-- Before the first forecast (or without one) the demand is what the unit
-- served over the last tick (throughput x util), not its full throughput.
-- Scenario: labs/scenario-light.lua (tests/integration/policies.sh).
-- Every table is made in on_load; a tick only overwrites numbers.

local clamp, waterfill -- library functions, set in on_load

local HEADROOM = 1.02
local pus, n = {}, 0
local ci = {}     -- per PU: index into the cap arrays (0 = no cap)
local capdev = {} -- per cap: the PU
local need, floor, weight, alloc = {}, {}, {}, {}
local ncap = 0

local function on_load(ctx)
  clamp, waterfill = wattson.clamp, wattson.waterfill
  for _, d in ipairs(ctx.state.devices) do
    if d.pu then
      n = n + 1
      pus[n], ci[n] = d, 0
      if d.ctl.power_cap then
        ncap = ncap + 1
        ci[n], capdev[ncap] = ncap, d
        need[ncap], floor[ncap], weight[ncap], alloc[ncap] = 0, 0, 1, 0
      end
    end
  end
end

local function on_tick(state, out)
  local total = 0
  for k = 1, n do
    local d = pus[k]
    local sig, ok, ctl = d.sig, d.ok, d.ctl
    local cf, cc = ctl.freq, ctl.power_cap
    local f, thr = sig.freq, sig.throughput
    local ft = cf and cf.max or 0
    local known = cf and ok.freq and f > 0 and ok.throughput and thr > 0
    if known then
      local dem = d.forecast.demand
      if dem ~= dem then
        dem = ok.util and thr * sig.util or thr
      end
      local dl = sig.deadline
      if not ok.deadline or not (dl > 0) then dl = 0.1 end
      if ok.backlog and sig.backlog > 0 then
        dem = dem + sig.backlog / (0.25 * dl)
      end
      ft = clamp(HEADROOM * f * dem / thr, cf.min, cf.max)
    elseif cf and ok.freq and ok.util and f > 0 then
      ft = clamp(1.1 * f * sig.util, cf.min, cf.max) -- no throughput model
    end
    if cf then out[d.name].freq = ft end
    local j = ci[k]
    if j > 0 then
      local est = cc.max
      if known and ok.power then
        local r = ft / f
        est = 1.3 * sig.power * r * r + 0.5
      end
      -- The broker's cap, where it proposes one: its draw predicted
      -- from the P-state table (not scaled from the last tick's power,
      -- which badly underestimates a unit waking from idle), and the
      -- caps of all units fit the budget, shared by its worth per watt.
      local pc = d.proposal.power_cap
      if pc then est = pc end
      est = clamp(est, cc.min, cc.max)
      need[j], floor[j] = est, cc.min
      weight[j] = (ok.priority and sig.priority > 0) and sig.priority or 1
      total = total + est
    end
  end
  if ncap == 0 then return end

  local budget = state.budget_w
  if budget > 0 and total > budget then
    waterfill(budget, need, floor, weight, alloc)
    for j = 1, ncap do
      local cc = capdev[j].ctl.power_cap
      out[capdev[j].name].power_cap = clamp(alloc[j], cc.min, cc.max)
    end
  else
    for j = 1, ncap do out[capdev[j].name].power_cap = need[j] end
  end
end

return { api = 1, on_load = on_load, on_tick = on_tick }
