-- compile.lua - held-out trace lab (issue 13): a from-scratch parallel
-- build of wattson (cmake, make -j2, gcc -O2),
-- recorded on the development machine (2 cores) with
-- scripts/record-load.sh at 0.5 s (traces/compile.csv; see
-- traces/README.md), replayed in the diurnal scenario's set-up: eight
-- Zen 3 cores at scales 1.0 down to 0.5, a 64 W budget, 0.5 s deadlines.
--
-- Held out: the broker and the forecasters were tuned on the shipped
-- scenario labs (../bench/), never on these; `wattson bench broker
-- --lab` on them is the evaluation the README reports.
--
-- Tick: 10 ms, the governors' own sampling period, so every baseline
-- samples as often as it would on a real machine.
return {
  name = "heldout-compile",
  description = "a from-scratch parallel build of wattson (cmake, make -j2, gcc -O2) on eight Zen 3 cores, 64 W",
  tick = "10ms",
  duration = "150s", -- one pass of the recording
  seed = 29,
  budget_w = 64,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        { name = "cpu0", kind = "cpu", part = "zen3-core", priority = 3,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "traces/compile.csv",
                       scale = 1.0 } },
        { name = "cpu1", kind = "cpu", part = "zen3-core", priority = 3,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "traces/compile.csv",
                       scale = 1.0 } },
        { name = "cpu2", kind = "cpu", part = "zen3-core", priority = 2,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "traces/compile.csv",
                       scale = 0.9 } },
        { name = "cpu3", kind = "cpu", part = "zen3-core", priority = 2,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "traces/compile.csv",
                       scale = 0.9 } },
        { name = "cpu4", kind = "cpu", part = "zen3-core", priority = 2,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "traces/compile.csv",
                       scale = 0.8 } },
        { name = "cpu5", kind = "cpu", part = "zen3-core", priority = 1,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "traces/compile.csv",
                       scale = 0.7 } },
        { name = "cpu6", kind = "cpu", part = "zen3-core", priority = 1,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "traces/compile.csv",
                       scale = 0.6 } },
        { name = "cpu7", kind = "cpu", part = "zen3-core", priority = 1,
          deadline_s = 0.5,
          workload = { kind = "trace", file = "traces/compile.csv",
                       scale = 0.5 } },
      } },
  },
}
