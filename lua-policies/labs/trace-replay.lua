-- trace-replay.lua - the real desktop CPU trace (traces/kenj-pc-1.csv, 3 h
-- at 15 s) replayed on four cores at different scales: 0.5 leaves lots of
-- headroom, 1.0 is the recorded load, 1.5 overloads the busy stretches
-- (demand above 1 builds a backlog), and 2.0 is clamped to 1.5 by the
-- driver.  The last core plays the trace once (loop = false) and then
-- idles.  Ticks of 250 ms keep a 3 h run quick on the virtual clock; the
-- deadlines are set to 1 s because each tick's work arrives as one batch at
-- the tick start, so a deadline shorter than a few ticks would count
-- misses that are only an artefact of the coarse tick.
return {
  name = "trace-replay",
  tick = "250ms",
  duration = "210m", -- the trace is 3 h 6 min; the last 24 min show "clamped" idle
  seed = 1,
  budget_w = 40,
  drivers = {
    { plugin = "sim",
      devices = {
        { name = "half", kind = "cpu", part = "zen3-core", priority = 1,
          deadline_s = 1.0,
          workload = { kind = "trace", file = "traces/kenj-pc-1.csv",
                       scale = 0.5 } },
        { name = "recorded", kind = "cpu", part = "zen3-core", priority = 2,
          deadline_s = 1.0,
          workload = { kind = "trace", file = "traces/kenj-pc-1.csv" } },
        { name = "heavy", kind = "cpu", part = "zen3-core", priority = 3,
          deadline_s = 1.0,
          workload = { kind = "trace", file = "traces/kenj-pc-1.csv",
                       scale = 1.5 } },
        { name = "clamped", kind = "cpu", part = "icelake-core",
          priority = 1, deadline_s = 1.0,
          workload = { kind = "trace", file = "traces/kenj-pc-1.csv",
                       scale = 2.0, loop = false } },
      } },
  },
}
