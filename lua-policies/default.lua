-- default.lua - the built-in C policy (console/pipeline/cpolicy.c) written
-- as a Lua policy: a starting point to copy, and the reference the other
-- policies are compared with.
--
-- Per processing unit (PU), every tick:
--
--   frequency  demand = forecast (op/s, else the current throughput)
--                       + backlog / (deadline / 2)   (drain in half the
--                                                     deadline)
--              target = 1.1 x freq x demand / throughput, in [min, max];
--              without a throughput signal (real hardware) Linux
--              schedutil's rule 1.25 x freq x util; with neither: max.
--   power      need   = power x (target / freq)^2, the expected draw at the
--                       new clock (cap max when unknown)
--   budget     over budget: wattson.waterfill shares it by priority
--              (a_i = min(need_i, floor_i + prio_i x lambda));
--              under budget: need plus the spare watts shared by priority.
--
-- Like the C code, a unit is accounted at no less than its cap's minimum,
-- so the caps always fit the budget (the host rejects a tick's caps
-- otherwise); on the default lab the two decide identically.
--
-- Every table is made in on_load; on_tick only overwrites numbers.
--
-- It does not use the broker's proposal (d.proposal): it is the mirror of
-- the C policy, and tests/integration/policies.sh holds the two to the
-- same figures.  thermal.lua, efficiency.lua and priority.lua show how
-- the proposal is used; `--policy builtin:broker` runs the proposals
-- alone.

-- library functions, set in on_load
local clamp

local pus = {}     -- device tables of the PUs (state.devices entries)
local ncap = 0     -- PUs with a power_cap control
local capdev = {}  -- capdev[j]: the PU (device table) of cap j
local need, floor, weight, alloc = {}, {}, {}, {}
local ftarget = {} -- per PU (index into pus): the frequency decided

local function on_load(ctx)
  clamp = wattson.clamp
  local st = ctx.state
  for _, d in ipairs(st.devices) do
    if d.pu then
      pus[#pus + 1] = d
      ftarget[#pus] = 0
      if d.ctl.power_cap then
        ncap = ncap + 1
        capdev[ncap] = d
        need[ncap], floor[ncap], weight[ncap], alloc[ncap] = 0, 0, 1, 0
      end
    end
  end
end

local function on_tick(state, out)
  local budget = state.budget_w
  local total_need, wsum = 0, 0
  local j = 0
  for k = 1, #pus do
    local d = pus[k]
    local sig, ok, ctl = d.sig, d.ok, d.ctl
    local cf, cc = ctl.freq, ctl.power_cap
    local f = sig.freq
    local fok = ok.freq and f > 0
    if cf then
      local target = cf.max
      local thr = sig.throughput
      if fok and ok.throughput and thr > 0 then
        local dem = d.forecast.demand
        if dem ~= dem then dem = thr end -- NaN: no forecast yet
        local deadline = sig.deadline
        if not ok.deadline or not (deadline > 0) then deadline = 0.1 end
        local backlog = sig.backlog
        if ok.backlog and backlog > 0 then
          dem = dem + backlog / (0.5 * deadline)
        end
        target = 1.1 * f * dem / thr
      elseif fok and ok.util then
        target = 1.25 * f * sig.util
      end
      target = clamp(target, cf.min, cf.max)
      out[d.name].freq = target
      ftarget[k] = target
    end
    if cc then
      j = j + 1
      local est = cc.max
      if cf and fok and ok.power then
        local r = ftarget[k] / f
        est = sig.power * r * r
      end
      -- Accounting is on expected draw, not on caps.
      local nd = est < cc.max and (est > 0 and est or 0) or cc.max
      -- (the C code: floor = min(cap min, need), no raise; see the top)
      if nd < cc.min then nd = cc.min end
      need[j] = nd
      floor[j] = cc.min
      local prio = sig.priority
      weight[j] = (ok.priority and prio > 0) and prio or 1
      total_need = total_need + nd
      wsum = wsum + weight[j]
    end
  end
  if ncap == 0 then return end

  local over = budget > 0 and total_need > budget
  if over then
    wattson.waterfill(budget, need, floor, weight, alloc)
  end
  for i = 1, ncap do
    local cc = capdev[i].ctl.power_cap
    local v
    if over then
      v = alloc[i]
    elseif budget > 0 then
      v = need[i] + (budget - total_need) * weight[i] / wsum
    else
      v = cc.max
    end
    alloc[i] = clamp(v, cc.min, cc.max)
  end
  for i = 1, ncap do
    out[capdev[i].name].power_cap = alloc[i]
  end
end

return { api = 1, on_load = on_load, on_tick = on_tick }
