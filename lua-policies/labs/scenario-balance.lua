-- scenario-balance.lua - unequal loads on equal cores: how evenly busy?
--
-- Four Zen 3 cores with very different loads (a light one at ~20 % of top
-- throughput, two middling ones and a heavy one at ~80 %, each swinging
-- +-10 % over a slow sine) and mixed priorities, under a 30 W budget that
-- binds only when the loads peak together (full clock everywhere would
-- draw ~40 W).
--
-- balanced.lua fits each core's clock to its load so that all of them
-- run near the same utilisation (75 %); the spread of utilisation across
-- the cores (standard deviation of their means) stays small, limited by
-- the P-state steps and the light core's floor (its lowest P-state).
-- priority.lua runs the priority-3 core at full clock (so it idles most
-- of the time) and the priority-1 core as slowly as its demand allows,
-- so the utilisations spread far apart.  (tests/integration/policies.sh)
local function core(name, prio, mean, phase)
  return { name = name, kind = "cpu", part = "zen3-core", priority = prio,
           deadline_s = 0.05,
           workload = { kind = "sine", mean = mean, amplitude = 0.1,
                        period_s = 20, phase_s = phase } }
end

return {
  name = "scenario-balance",
  description = "unequal loads: utilisation spread across the cores",
  tick = "10ms",
  duration = "30s",
  seed = 12,
  budget_w = 30,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        core("light", 3, 0.25, 0),
        core("mid0", 2, 0.45, 5),
        core("mid1", 2, 0.6, 10),
        core("heavy", 1, 0.8, 15),
      } },
  },
}
