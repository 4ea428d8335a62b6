-- default.lua - the lab wattson runs with no arguments (compiled into the
-- binary).  A small heterogeneous node: four Zen 3 cores, an A100 and a T4,
-- and an Alveo U250, all simulated by the sim driver (drivers/sim/README.md).
--
-- Budget: at full load the parts draw about 4 x 10.7 + 248 + 70 + 82 =
-- 443 W (their power_cap maxima sum to 593 W); 330 W is ~75 % of the
-- full-load draw, so the budget binds whenever most units are busy and the
-- policy has to choose, by priority, who slows down.
return {
  name = "default",
  tick = "10ms",
  duration = "60s",
  seed = 1,
  budget_w = 330,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        -- a real desktop's CPU load (PCP archive kenj-pc-1), latency-bound
        { name = "cpu0", kind = "cpu", part = "zen3-core", priority = 3,
          deadline_s = 0.02,
          workload = { kind = "trace", file = "traces/kenj-pc-1.csv",
                       scale = 1.0 } },
        -- a periodic service: 20 s cycle between 20 % and 80 %
        { name = "cpu1", kind = "cpu", part = "zen3-core", priority = 2,
          workload = { kind = "sine", mean = 0.5, amplitude = 0.3,
                       period_s = 20 } },
        -- interactive bursts: ~0.5 s at 95 %, ~1.5 s at 5 %
        { name = "cpu2", kind = "cpu", part = "zen3-core", priority = 2,
          workload = { kind = "bursty", on_level = 0.95, off_level = 0.05,
                       on_s = 0.5, off_s = 1.5 } },
        -- a batch job that starts at 20 s, best effort
        { name = "cpu3", kind = "cpu", part = "zen3-core", priority = 1,
          deadline_s = 1.0,
          workload = { kind = "step", from = 0.1, to = 1.0, at_s = 20 } },
        -- training-like load drifting between 40 % and 100 %
        { name = "gpu0", kind = "gpu", part = "a100-pcie", priority = 2,
          workload = { kind = "random_walk", start = 0.7, sigma = 0.1,
                       min = 0.4, max = 1.0 } },
        -- inference: bursts of requests, tight deadline
        { name = "gpu1", kind = "gpu", part = "t4", priority = 3,
          deadline_s = 0.05,
          workload = { kind = "bursty", on_level = 0.9, off_level = 0.1,
                       on_s = 2, off_s = 3 } },
        -- a streaming kernel at a steady 60 %
        { name = "fpga0", kind = "fpga", part = "alveo-u250", priority = 1,
          workload = { kind = "constant", level = 0.6 } },
      } },
  },
}
