-- bursty.lua - `wattson bench broker` scenario "bursty": one eight-core
-- Zen 3 desktop/server part (Ryzen 7 5800X-like) serving interactive
-- requests that come in bursts, simulated by the sim driver
-- (drivers/sim/README.md).
--
-- Load: each core alternates bursts at 85-95 % of its top clock's
-- throughput with lulls at 5-10 %; burst and lull lengths are exponential
-- (means below), so several cores burst together now and then.  On
-- average about a third of the cores are in a burst.
--
-- Budget: a bursting core at 3.7 GHz draws ~9.5-10.6 W (with the die's
-- leakage as it warms) and an idle one ~2 W, so all eight bursting draw
-- ~85 W while the average at full clock is ~37 W.  64 W - 75 % of the
-- full-load draw, the rule every bench lab follows (as default.lua) -
-- binds whenever six or more cores burst at once.  The static split
-- (8 W a core) holds a bursting core below the ~3.3 GHz its burst needs
-- whenever it runs hot; a broker can lend it an idle core's share.
--
-- Deadlines: 20 ms, interactive; two 10 ms ticks of work.
return {
  name = "bench-bursty",
  description = "eight Zen 3 cores with bursty interactive load, 64 W",
  tick = "10ms",
  duration = "60s",
  seed = 11,
  budget_w = 64,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        -- web front-ends: short, frequent bursts
        { name = "cpu0", kind = "cpu", part = "zen3-core", priority = 3,
          deadline_s = 0.02,
          workload = { kind = "bursty", on_level = 0.9, off_level = 0.05,
                       on_s = 0.3, off_s = 0.6 } },
        { name = "cpu1", kind = "cpu", part = "zen3-core", priority = 3,
          deadline_s = 0.02,
          workload = { kind = "bursty", on_level = 0.9, off_level = 0.05,
                       on_s = 0.3, off_s = 0.6 } },
        -- API workers: longer bursts, rarer
        { name = "cpu2", kind = "cpu", part = "zen3-core", priority = 2,
          deadline_s = 0.02,
          workload = { kind = "bursty", on_level = 0.95, off_level = 0.1,
                       on_s = 1.0, off_s = 2.0 } },
        { name = "cpu3", kind = "cpu", part = "zen3-core", priority = 2,
          deadline_s = 0.02,
          workload = { kind = "bursty", on_level = 0.95, off_level = 0.1,
                       on_s = 1.0, off_s = 2.0 } },
        -- a build: long compile bursts between link/IO lulls
        { name = "cpu4", kind = "cpu", part = "zen3-core", priority = 1,
          deadline_s = 0.02,
          workload = { kind = "bursty", on_level = 0.85, off_level = 0.05,
                       on_s = 3.0, off_s = 5.0 } },
        { name = "cpu5", kind = "cpu", part = "zen3-core", priority = 1,
          deadline_s = 0.02,
          workload = { kind = "bursty", on_level = 0.85, off_level = 0.05,
                       on_s = 3.0, off_s = 5.0 } },
        -- UI and input: very short bursts
        { name = "cpu6", kind = "cpu", part = "zen3-core", priority = 3,
          deadline_s = 0.02,
          workload = { kind = "bursty", on_level = 0.9, off_level = 0.05,
                       on_s = 0.1, off_s = 0.3 } },
        { name = "cpu7", kind = "cpu", part = "zen3-core", priority = 2,
          deadline_s = 0.02,
          workload = { kind = "bursty", on_level = 0.9, off_level = 0.05,
                       on_s = 0.1, off_s = 0.3 } },
      } },
  },
}
