-- diurnal.lua - `wattson bench broker` scenario "diurnal": a real
-- desktop's load over one pass of its 3 h recording (traces/kenj-pc-1.csv,
-- PCP archive kenj-pc-1, 15 s samples; see ../traces/README.md) on eight
-- Zen 3 cores (sim driver, drivers/sim/README.md).
--
-- Load: the trace is whole-machine utilisation (mean 0.29, 90th
-- percentile 0.77, peaks at 1.0, quiet for the first 12 min); the cores
-- replay it at scales 1.0 down to 0.5, so in the busy stretches the
-- heaviest cores need their top clock while the lighter ones coast.
--
-- Budget: racing at full clock the eight cores average ~30 W over the
-- 3 h and peak near 70 W; schedutil-like scaling averages ~21 W.  64 W
-- (75 % of the full-load draw, the rule every bench lab follows) binds
-- only in the busiest stretches; the static split (8 W a core) holds the
-- heaviest cores below their top clock there while the lighter ones
-- leave their share unused.
--
-- Tick and deadlines: a 10 ms tick, the governors' own sampling period
-- (issue 13: a baseline must sample as often as it would on a real
-- machine, not at a coarser lab tick); 3 h of lab time is still about a
-- minute of bench on the virtual clock.  The load changes every 15 s;
-- the deadlines are 0.5 s, a desktop's "feels responsive".
return {
  name = "bench-diurnal",
  description = "the kenj-pc-1 desktop trace on eight Zen 3 cores, 64 W",
  tick = "10ms",
  duration = "11160s", -- one pass of the trace (744 rows x 15 s)
  seed = 13,
  budget_w = 64,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        { name = "cpu0", kind = "cpu", part = "zen3-core", priority = 3,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "../traces/kenj-pc-1.csv",
                       scale = 1.0 } },
        { name = "cpu1", kind = "cpu", part = "zen3-core", priority = 3,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "../traces/kenj-pc-1.csv",
                       scale = 1.0 } },
        { name = "cpu2", kind = "cpu", part = "zen3-core", priority = 2,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "../traces/kenj-pc-1.csv",
                       scale = 0.9 } },
        { name = "cpu3", kind = "cpu", part = "zen3-core", priority = 2,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "../traces/kenj-pc-1.csv",
                       scale = 0.9 } },
        { name = "cpu4", kind = "cpu", part = "zen3-core", priority = 2,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "../traces/kenj-pc-1.csv",
                       scale = 0.8 } },
        { name = "cpu5", kind = "cpu", part = "zen3-core", priority = 1,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "../traces/kenj-pc-1.csv",
                       scale = 0.7 } },
        { name = "cpu6", kind = "cpu", part = "zen3-core", priority = 1,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "../traces/kenj-pc-1.csv",
                       scale = 0.6 } },
        { name = "cpu7", kind = "cpu", part = "zen3-core", priority = 1,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "../traces/kenj-pc-1.csv",
                       scale = 0.5 } },
      } },
  },
}
