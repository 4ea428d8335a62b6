-- scenario-thermal.lua - a hot, badly ventilated box: who throttles?
--
-- Ambient 40 C and thermal resistances well above the presets', so that
-- full speed would settle far above the limits: the A100 near
-- 40 + 0.40 K/W x ~230 W = 130 C (limit 90 C), two Zen 3 cores near
-- 40 + 9 K/W x ~11 W = 140 C (limit 95 C; one with a lower limit of
-- 85 C).  Heavy but not flat-out work (70-90 %), so there is something to
-- save by running slower.  The thermal capacities are smaller than the
-- presets' (time constants of 10-20 s) so that the limits are reached
-- within the first 20 s.  No budget: only temperature matters here.
--
-- Every policy that ignores temperature (built-in, default, balanced,
-- efficiency, priority) runs the parts into their limits, where the
-- hardware drops to the lowest P-state until 2 K below (throttling).
-- thermal.lua watches each unit's temperature trend (wattson.history) and
-- lowers its clock and cap ahead of the limit, holding it a few kelvin
-- below: the hardware never throttles.  (tests/integration/policies.sh)
return {
  name = "scenario-thermal",
  description = "hot box: stay below the temperature limits",
  tick = "10ms",
  duration = "60s",
  seed = 14,
  budget_w = 0,
  drivers = {
    { plugin = "sim",
      ambient_c = 40,
      devices = {
        { name = "gpu0", kind = "gpu", part = "a100-pcie", priority = 2,
          r_th = 0.40, c_th = 50, deadline_s = 0.2,
          workload = { kind = "constant", level = 0.8 } },
        { name = "cpu0", kind = "cpu", part = "zen3-core", priority = 2,
          r_th = 9.0, c_th = 1.2, deadline_s = 0.1,
          workload = { kind = "sine", mean = 0.8, amplitude = 0.1,
                       period_s = 20 } },
        { name = "cpu1", kind = "cpu", part = "zen3-core", priority = 1,
          r_th = 9.0, c_th = 1.2, temp_limit_c = 85, deadline_s = 0.1,
          workload = { kind = "constant", level = 0.9 } },
      } },
  },
}
