-- scenario-light.lua - a lightly loaded node: what does the work cost?
--
-- Three Zen 3 cores, an A100 and a T4, all well below capacity most of the
-- time (a desktop trace scaled down, a slow sine around 45 %, an
-- interactive core with short bursts, a GPU drifting between 15 % and
-- 45 %, inference bursts on the T4), with deadlines the P-state steps
-- leave room for.  The 400 W budget is loose: nothing here is about
-- sharing, only about how fast to run.
--
-- efficiency.lua runs each unit at the lowest clock that covers its
-- forecast and backlog (alternating between two P-states when the need
-- falls between them), which costs the least energy per operation.
-- balanced.lua aims at 75 % utilisation, a clock a third higher than
-- needed; the built-in policy at 1.1 x the need.  The test checks that
-- efficiency uses less energy than balanced with no more deadline
-- misses.  (tests/integration/policies.sh)
return {
  name = "scenario-light",
  description = "light load: energy at the same service",
  tick = "10ms",
  duration = "30s",
  seed = 13,
  budget_w = 400,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        { name = "cpu0", kind = "cpu", part = "zen3-core", priority = 2,
          deadline_s = 0.05,
          workload = { kind = "trace", file = "traces/kenj-pc-1.csv",
                       scale = 0.5 } },
        { name = "cpu2", kind = "cpu", part = "zen3-core", priority = 1,
          deadline_s = 0.05,
          workload = { kind = "sine", mean = 0.45, amplitude = 0.15,
                       period_s = 15 } },
        { name = "cpu1", kind = "cpu", part = "zen3-core", priority = 2,
          deadline_s = 0.05,
          workload = { kind = "bursty", on_level = 0.6, off_level = 0.1,
                       on_s = 0.5, off_s = 2 } },
        { name = "gpu0", kind = "gpu", part = "a100-pcie", priority = 2,
          deadline_s = 0.1,
          workload = { kind = "random_walk", start = 0.3, sigma = 0.05,
                       min = 0.15, max = 0.45 } },
        { name = "gpu1", kind = "gpu", part = "t4", priority = 3,
          deadline_s = 0.1,
          workload = { kind = "bursty", on_level = 0.5, off_level = 0.05,
                       on_s = 1, off_s = 3 } },
      } },
  },
}
