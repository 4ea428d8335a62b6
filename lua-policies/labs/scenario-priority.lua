-- scenario-priority.lua - a budget far too tight for the work: who yields?
--
-- Six Zen 3 cores, two at each priority 3, 2 and 1, every one asked for
-- the same steady 55 % of its top throughput (about 2.0 GHz of work: the
-- 2.2 GHz P-state, ~3.6 W each, ~22 W in all).  The budget is 20 W, 3.3 W
-- a core if shared evenly: not enough for any core's 2.2 GHz.  A core
-- held at its lowest P-state (1.5 GHz, 40 % of top throughput, ~2.5 W)
-- cannot keep up and its backlog grows without end.
--
-- priority.lua gives the watts above the caps' 2 W minimums to the
-- priority-3 pair first: they keep their demand met (no backlog, no
-- missed deadline) while the priority-2 and -1 cores yield and fall
-- behind.  balanced.lua shares the shortage evenly, so every core falls
-- behind and misses deadlines, the important ones included.  The
-- built-in policy shares by priority weight (3:2:1), which is not enough
-- for the top pair either.  (tests/integration/policies.sh)
local function core(name, prio)
  return { name = name, kind = "cpu", part = "zen3-core", priority = prio,
           deadline_s = 0.05,
           workload = { kind = "constant", level = 0.55 } }
end

return {
  name = "scenario-priority",
  description = "tight budget: high priorities keep their demand met",
  tick = "10ms",
  duration = "30s",
  seed = 11,
  budget_w = 20,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        core("hi0", 3), core("hi1", 3),
        core("mid0", 2), core("mid1", 2),
        core("lo0", 1), core("lo1", 1),
      } },
  },
}
