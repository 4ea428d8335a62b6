-- host.lua - this machine as it is (compiled into the binary for
-- `wattson plugins --host`): every real-hardware driver, each optional,
-- so a driver that finds nothing here is left out with one warning and
-- the others are listed.  Read-only: it names no budget and no policy.
--
-- The drivers look under `/` unless $WATTSON_SYSFS_ROOT (cpufreq, rapl,
-- hwmon, pci) or $WATTSON_NVML_LIB (nvml) say otherwise; pci lists the
-- accelerators (display, processing accelerators, FPGAs), not every
-- function on the bus.
return {
  name = "host",
  description = "this machine: every real-hardware driver, each optional",
  tick = "250ms",
  drivers = {
    { plugin = "cpufreq", optional = true },
    { plugin = "rapl", optional = true },
    { plugin = "hwmon", optional = true },
    { plugin = "nvml", optional = true },
    { plugin = "pci", optional = true },
  },
}
