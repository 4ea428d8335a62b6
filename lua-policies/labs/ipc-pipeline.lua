-- ipc-pipeline.lua - the default lab of `wattson trace`: four simulated
-- Zen 3 cores (drivers/sim/README.md) that the processes of a traced
-- command are placed on by name (`ipc_procs`, core/labipc.h), so the
-- broker sees the real messages between them as work announced for the
-- receiving core.
--
-- The stages of a compressing pipeline each get a core: the producers
-- (cat, dd, tar) cpu1, gzip cpu2, zstd cpu3; anything else (wc, the
-- shell) cpu0.  What a message brings to its receiver's core is the
-- compressor's work per byte (`ipc_ops_per_byte`, drivers/sim/README.md
-- "Messages from outside"): zlib -1 (gzip -1) compresses at 95 MB/s and
-- zstd -1 at 530 MB/s on one 4.9 GHz core (the zstd README's lzbench
-- table), 52 and 9.2 cycles/B, times zen3-core's 32 op/cycle.  So the
-- simulated core is about as busy as the real one that runs gzip.  The
-- producers and cpu0 get no work from messages.  The cores idle at 5 %
-- (an idle desktop core's housekeeping) so the messages are what moves
-- them.
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
          ipc_ops_per_byte = 1650, deadline_s = 0.05,
          workload = { kind = "constant", level = 0.05 } },
        { name = "cpu3", kind = "cpu", part = "zen3-core",
          ipc_ops_per_byte = 296, deadline_s = 0.05,
          workload = { kind = "constant", level = 0.05 } },
      } },
  },
  ipc_procs = {
    cat = "cpu1", dd = "cpu1", tar = "cpu1",
    gzip = "cpu2",
    zstd = "cpu3",
    ["*"] = "cpu0",
  },
}
