-- pipeline.lua - an inference service as a three-stage pipeline whose
-- stages talk over IPC, next to two ordinary devices, all simulated by the
-- sim driver (drivers/sim/README.md, "Pipelines").
--
-- A client (pid 4100) sends image requests to a decode process on a Zen 3
-- core; decoded tensors go to the model on an A100; its outputs go to a
-- post-processing process on a second core.  Every hand-off takes 20 ms
-- (lag_s: a batching decode/preprocess queue on shared memory is 10-100
-- ms), and every message is reported through the plugin's ipc_read, so a
-- broker can see work coming one hop ahead.
--
-- Sizes, per image: decode ~50 Mop on the core, ResNet-50-like inference
-- ~8 Gop on the GPU (ratio 150 GPU op per decode op), top-k/NMS ~30 Mop
-- (ratio 0.004 per GPU op).  bytes_per_op = 2e-4 B per op of the receiving
-- stage: ~10 KB per request to decode, ~1.6 MB of tensor per image to the
-- GPU (PCIe), ~6 KB of logits to post.
--
-- Load: the requests come in bursts (on ~2 s at 90 % of the decode core's
-- peak, off ~3 s at 10 %).  In a burst the GPU runs at ~82 % of its peak
-- (0.9 x 118.4 Gop/s x 150 = 16 Top/s of 19.5) and post at ~54 %.
--
-- Budget: in a burst the pipeline draws ~9.7 + ~200 + ~6 W, the sine
-- service ~6 W and the T4 ~50 W: ~270 W; between bursts ~110 W.  262 W is
-- 75 % of the parts' full-load draw (3 x 10.7 + 248 + 70 W; the rule of
-- every bench lab, as default.lua): it binds in the bursts, where the
-- policy has to choose between the pipeline's GPU and the T4's job, and a
-- static split of it starves the decode core.
return {
  name = "pipeline",
  tick = "10ms",
  duration = "60s",
  seed = 7,
  budget_w = 262,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        -- the pipeline's stages: no workload of their own, all their work
        -- comes from the pipeline below
        { name = "cpu0", kind = "cpu", part = "zen3-core", priority = 3,
          deadline_s = 0.05 },
        { name = "gpu0", kind = "gpu", part = "a100-pcie", priority = 3,
          deadline_s = 0.1 },
        { name = "cpu1", kind = "cpu", part = "zen3-core", priority = 3,
          deadline_s = 0.05 },
        -- a periodic background service: 20 s cycle between 20 % and 80 %
        { name = "cpu2", kind = "cpu", part = "zen3-core", priority = 1,
          workload = { kind = "sine", mean = 0.5, amplitude = 0.3,
                       period_s = 20 } },
        -- a training job drifting between 40 % and 90 %, best effort
        { name = "gpu1", kind = "gpu", part = "t4", priority = 1,
          deadline_s = 1.0,
          workload = { kind = "random_walk", start = 0.6, sigma = 0.1,
                       min = 0.4, max = 0.9 } },
      },
      pipelines = {
        { name = "infer", pid = 4100,
          -- demand as a fraction of the decode core's peak throughput
          source = { kind = "bursty", on_level = 0.9, off_level = 0.1,
                     on_s = 2, off_s = 3 },
          lag_s = 0.02,
          bytes_per_op = 2e-4,
          stages = {
            { device = "cpu0", pid = 4101, name = "decode" },
            { device = "gpu0", pid = 4102, name = "infer", ratio = 150 },
            { device = "cpu1", pid = 4103, name = "post", ratio = 0.004 },
          } },
      } },
  },
}
