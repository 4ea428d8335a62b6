-- step.lua - `wattson bench broker` scenario "step": a small GPU server
-- (four Zen 3 cores, an A100 PCIe and a T4, the sim driver's presets,
-- drivers/sim/README.md) where jobs start and stop at known times, so the
-- load moves in steps.
--
-- Load: a CI queue fills the cores one after another (10, 20, 30, 40 s,
-- 10 % -> 90 %) and one core's job ends at 45 s; a training job starts
-- on the A100 at 15 s (5 % -> 80 % of its top-clock throughput: data
-- loading keeps it off 100 %); inference on the T4 doubles at 30 s.
--
-- Budget: full load would be ~4 x 10.6 + 248 + 70 = 360 W; with the
-- A100 at 80 % and everything busy (30-45 s) the node wants ~320 W.
-- 280 W (a PSU or rack-slot limit; ~78 % of the full-load draw, near
-- the 75 % rule of the other bench labs) binds from about 20 s on.  The
-- static split gives each cap its minimum plus 41 % of its range (cores
-- 6.1 W, A100 191 W, T4 64 W), so the busy cores and the A100 are held
-- well below what their load needs while the budget is all spoken for.
--
-- Deadlines: the parts' defaults (cpu 50 ms, gpu 100 ms).
return {
  name = "bench-step",
  description = "four Zen 3 cores, an A100 and a T4; jobs start in steps, 280 W",
  tick = "10ms",
  duration = "60s",
  seed = 12,
  budget_w = 280,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        { name = "cpu0", kind = "cpu", part = "zen3-core", priority = 2,
          workload = { kind = "step", from = 0.1, to = 0.9, at_s = 10 } },
        { name = "cpu1", kind = "cpu", part = "zen3-core", priority = 2,
          workload = { kind = "step", from = 0.1, to = 0.9, at_s = 20 } },
        { name = "cpu2", kind = "cpu", part = "zen3-core", priority = 1,
          workload = { kind = "step", from = 0.1, to = 0.9, at_s = 30 } },
        -- this one's job ends: a step down
        { name = "cpu3", kind = "cpu", part = "zen3-core", priority = 1,
          workload = { kind = "step", from = 0.9, to = 0.1, at_s = 45 } },
        -- training starts at 15 s
        { name = "gpu0", kind = "gpu", part = "a100-pcie", priority = 2,
          workload = { kind = "step", from = 0.05, to = 0.8, at_s = 15 } },
        -- inference traffic doubles at 30 s, tight deadline
        { name = "gpu1", kind = "gpu", part = "t4", priority = 3,
          deadline_s = 0.05,
          workload = { kind = "step", from = 0.4, to = 0.8, at_s = 30 } },
      } },
  },
}
