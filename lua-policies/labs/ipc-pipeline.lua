-- ipc-pipeline.lua - the default lab of `wattson trace`: four simulated
-- Zen 3 cores (drivers/sim/README.md) that the processes of a traced
-- command are placed on by name (`ipc_procs`, core/labipc.h), so the
-- broker sees the real messages between them as work announced for the
-- receiving core.
--
-- The usual stages of a shell pipeline each get a core: a producer
-- (cat, dd, tar), a compressor or hash, a consumer; anything else runs on
-- cpu0.  The cores idle at 5 % (an idle desktop core's housekeeping) so
-- the messages are what moves them.
return {
  name = "ipc-pipeline",
  tick = "10ms",
  duration = "60s",
  seed = 1,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        { name = "cpu0", kind = "cpu", part = "zen3-core",
          workload = { kind = "constant", level = 0.05 } },
        { name = "cpu1", kind = "cpu", part = "zen3-core",
          workload = { kind = "constant", level = 0.05 } },
        { name = "cpu2", kind = "cpu", part = "zen3-core",
          workload = { kind = "constant", level = 0.05 } },
        { name = "cpu3", kind = "cpu", part = "zen3-core",
          workload = { kind = "constant", level = 0.05 } },
      } },
  },
  ipc_procs = {
    cat = "cpu1", dd = "cpu1", tar = "cpu1",
    gzip = "cpu2", zstd = "cpu2", xz = "cpu2", bzip2 = "cpu2",
    sha256sum = "cpu2", md5sum = "cpu2",
    wc = "cpu3", tee = "cpu3", sort = "cpu3",
    ["*"] = "cpu0",
  },
}
