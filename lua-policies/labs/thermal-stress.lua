-- thermal-stress.lua - parts driven flat out in a hot, badly ventilated
-- box so that they reach their temperature limits and throttle.
--
-- With ambient 40 C and the thermal resistances raised over the presets,
-- the A100 would settle far above its limit even at the ~165 W its 250 W
-- power limit leaves it once hot (40 + 0.40 K/W x 165 W = 106 C), and the
-- core near 40 + 9 K/W x ~12 W = 148 C; both throttle at their limits
-- (90 C and 95 C) instead and hover just below them (2 K hysteresis).  A
-- third core with a better cooler is the reference that never throttles.
-- No budget: only the thermal limits act.  Watch temp, freq and
-- deadline_misses (full load at a throttled clock builds a backlog).
return {
  name = "thermal-stress",
  tick = "10ms",
  duration = "300s",
  seed = 7,
  budget_w = 0,
  drivers = {
    { plugin = "sim",
      ambient_c = 40,
      devices = {
        { name = "gpu0", kind = "gpu", part = "a100-pcie", priority = 2,
          r_th = 0.40,
          workload = { kind = "constant", level = 1.0 } },
        { name = "cpu0", kind = "cpu", part = "zen3-core", priority = 1,
          r_th = 9.0,
          workload = { kind = "constant", level = 1.0 } },
        -- a well-cooled reference core under the same load: settles near
        -- 40 + 4 K/W x ~10.5 W = 82 C and never throttles
        { name = "cpu1", kind = "cpu", part = "zen3-core", priority = 1,
          r_th = 4.0,
          workload = { kind = "constant", level = 1.0 } },
      } },
  },
}
