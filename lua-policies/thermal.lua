-- thermal.lua - thermal management: every processing unit (PU) stays
-- below its temperature limit with a margin, so the hardware's own
-- throttling (a drop to the lowest P-state at temp_limit, held until 2 K
-- below it) never has to act.
--
-- Each PU has a thermal "allowance" s in [0, 1] that scales the top of
-- both controls: the frequency ceiling fmin + s (fmax - fmin) and the cap
-- ceiling capmin + s (capmax - capmin) (the cap alone is not enough: an
-- A100's cap cannot go below 150 W, which still allows 1065 MHz).
-- Every tick, with the setpoint temp_limit - MARGIN:
--
--   trend      slope = (T - T LAG ticks ago) / (LAG x dt), from
--              wattson.history; the predicted temperature HORIZON seconds
--              ahead is T + max(slope, 0) x HORIZON.
--   cut        predicted above the setpoint: s drops in proportion to the
--              overshoot (CUT per K per second); at the setpoint itself
--              (no prediction needed) s falls at once to 0.
--   recover    predicted below the setpoint - 2 K and not rising fast:
--              s climbs back slowly (RISE per second), so the clock
--              creeps up until the trend says the next step would be too
--              hot.
--
-- Under those ceilings the clock and cap start from the predictive
-- broker's proposal (d.proposal):
--   frequency  the higher of the broker's P-state (d.proposal.freq) and
--              the built-in policy's rule (forecast + backlog within half
--              the deadline, x 1.1; d.forecast.demand is the broker's
--              IPC-aware prediction), then the thermal ceiling;
--   power      the broker's cap (d.proposal.power_cap: its draw predicted
--              from the P-state table plus its share of the spare budget;
--              all proposals fit budget_w), then the thermal ceiling.
-- Without a proposal: the built-in rule for the clock and the draw
-- expected from the last tick's power for the cap.  Caps that do not fit
-- the budget are shared by priority (wattson.waterfill).  A PU without a
-- valid temperature keeps its allowance (s starts at 1).
--
-- Measured with `wattson bench broker --with lua-policies/thermal.lua`
-- (EDP J.s on bursty / step / diurnal / pipeline; deadline misses):
--   own clock and caps (before)  9.06 / 3539 / 38217 / 463   0 / 10653 / 10168 / 1627
--   this file                    8.79 / 2272 /  7299 / 401   137 / 4109 / 0 / 1553
--   own clock, broker's caps     9.45 / 2457 / 10260 / 499   141 / 6446 / 252 / 2049
--   broker's clock and caps      8.79 / 2272 /  7299 / 722   137 / 4109 / 0 / 2009
-- Lower EDP on all four for 6-12 % more energy on bursty and diurnal;
-- scenario-thermal.lua's temperatures stay as before (max 85 / 90 / 80 C
-- for limits 90 / 95 / 85: the ceilings decide there).
--
-- Scenario: labs/scenario-thermal.lua (tests/integration/policies.sh).
-- Every table is made in on_load; a tick only overwrites numbers.

local clamp, waterfill, history -- library functions, set in on_load

local MARGIN = 5    -- K below temp_limit
local LAG = 50      -- ticks between the two temperatures of the trend
local HORIZON = 3   -- s of trend looked ahead
local CUT = 0.05    -- allowance lost per K of predicted overshoot per s
local RISE = 0.05   -- allowance regained per s when cool

local pus, n = {}, 0
local s = {}      -- per PU: thermal allowance in [0, 1]
local ci = {}     -- per PU: index into the cap arrays (0 = no cap)
local capdev = {} -- per cap: the PU
local need, floor, weight, alloc = {}, {}, {}, {}
local ncap = 0

local function on_load(ctx)
  clamp, waterfill, history = wattson.clamp, wattson.waterfill,
    wattson.history
  for _, d in ipairs(ctx.state.devices) do
    if d.pu then
      n = n + 1
      pus[n], s[n], ci[n] = d, 1, 0
      if d.ctl.power_cap then
        ncap = ncap + 1
        ci[n], capdev[ncap] = ncap, d
        need[ncap], floor[ncap], weight[ncap], alloc[ncap] = 0, 0, 1, 0
      end
    end
  end
  -- A reload keeps the allowances (a cooled-down policy must not start
  -- hot units at full clock again).
  local p = ctx.persisted
  if p and p.s then
    for k = 1, n do
      local v = p.s[pus[k].name]
      if type(v) == "number" and v == v then s[k] = clamp(v, 0, 1) end
    end
  end
end

local function on_tick(state, out)
  local dt = state.dt
  if not (dt > 0) then dt = 0.01 end
  local total = 0
  for k = 1, n do
    local d = pus[k]
    local sig, ok, ctl = d.sig, d.ok, d.ctl
    local cf, cc = ctl.freq, ctl.power_cap

    -- The allowance.
    local T, lim = sig.temp, sig.temp_limit
    if ok.temp and ok.temp_limit then
      local set = lim - MARGIN
      local old = history(d, "temp", LAG)
      local slope = 0
      if old == old then slope = (T - old) / (LAG * dt) end
      local pred = T + (slope > 0 and slope or 0) * HORIZON
      local a = s[k]
      if T >= set then
        a = 0
      elseif pred > set then
        a = a - CUT * (pred - set) * dt
      elseif pred < set - 2 then
        a = a + RISE * dt
      end
      s[k] = clamp(a, 0, 1)
    end
    local a = s[k]

    -- Frequency: the demand, under the thermal ceiling.
    local f, thr = sig.freq, sig.throughput
    local ft = 0
    if cf then
      ft = cf.max
      if ok.freq and f > 0 and ok.throughput and thr > 0 then
        local dem = d.forecast.demand
        if dem ~= dem then dem = thr end
        local dl = sig.deadline
        if not ok.deadline or not (dl > 0) then dl = 0.1 end
        if ok.backlog and sig.backlog > 0 then
          dem = dem + sig.backlog / (0.5 * dl)
        end
        ft = 1.1 * f * dem / thr
      elseif ok.freq and ok.util and f > 0 then
        ft = 1.25 * f * sig.util
      end
      local pf = d.proposal.freq
      if pf and pf > ft then ft = pf end -- at least the broker's state
      local ceil = cf.min + a * (cf.max - cf.min)
      if ft > ceil then ft = ceil end
      ft = clamp(ft, cf.min, cf.max)
      out[d.name].freq = ft
    end

    -- Cap: the expected draw at that clock, under the thermal ceiling.
    local j = ci[k]
    if j > 0 then
      local est = cc.max
      local pc = d.proposal.power_cap
      if pc then
        -- the broker's table-based draw plus its share of the spare
        -- budget (all proposals fit budget_w), under the ceiling below
        est = pc
      elseif cf and ok.freq and f > 0 and ok.power then
        local r = ft / f
        est = sig.power * r * r
      end
      local ceil = cc.min + a * (cc.max - cc.min)
      if est > ceil then est = ceil end
      est = clamp(est, cc.min, cc.max)
      need[j], floor[j] = est, cc.min
      weight[j] = (ok.priority and sig.priority > 0) and sig.priority or 1
      alloc[j] = ceil
      total = total + est
    end
  end
  if ncap == 0 then return end

  local budget = state.budget_w
  if budget > 0 and total > budget then
    waterfill(budget, need, floor, weight, alloc)
  else
    -- Under budget: each cap at its thermal ceiling, or at its draw plus
    -- a share of the spare watts when a budget has to be kept.
    local spare = budget > 0 and budget - total or 0
    for j = 1, ncap do
      local v = alloc[j] -- the ceiling
      if budget > 0 then
        local w = need[j] + spare * need[j] / total
        if w < v then v = w end
      end
      alloc[j] = v
    end
  end
  for j = 1, ncap do
    local cc = capdev[j].ctl.power_cap
    out[capdev[j].name].power_cap = clamp(alloc[j], cc.min, cc.max)
  end
end

-- What the next version of this file starts from.
local saved = { s = {} }
local function persist()
  for k = 1, n do saved.s[pus[k].name] = s[k] end
  return saved
end

return { api = 1, on_load = on_load, on_tick = on_tick, persist = persist }
