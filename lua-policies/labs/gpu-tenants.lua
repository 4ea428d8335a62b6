-- gpu-tenants.lua - applications sharing two simulated GPUs, for the GPU
-- behavioural profiler and allocator of issue 16 (drivers/sim/README.md,
-- "GPU tenants").  Every tenant reports, each tick, what a profiler sees
-- (SM time, memory, bandwidth, launches, PCIe, encoder) and its own
-- performance against its SLO; gpu_share_write sets each one's compute
-- share and memory limit.  At start the shares are uncontrolled (each
-- tenant's max_sm, memory unlimited): what a GPU without MPS does.
--
-- gpu0, an A100 PCIe 40GB (40 GiB HBM2, PCIe Gen4, no NVENC):
--   * a renderer: 60 fps target (SLO 55), five seeded scenes of 5-20 s
--     repeating, 3-12 ms of GPU time per frame (0.18-0.72 of the GPU at
--     60 fps), 1000-4000 draw calls per frame, 1-4 GB of textures each,
--     streamed in over 0.75 s before the scene's heavy frames;
--   * a training job: 60 % of the SMs and 60 % of the memory (24 GiB),
--     ~1500 kernel launches/s, an 8 s evaluation every 60 s, a 4 GB
--     checkpoint every 120 s (0.16 s over PCIe Gen4);
--   * an inference server: 200 requests/s on average, a compressed day
--     of 600 s (+-50 %), bursts of 2x lasting ~5 s every ~60 s, 1 ms of
--     GPU per request (a BERT-base-sized query), SLO 50 ms mean latency.
-- gpu1, a T4 (16 GiB GDDR6, PCIe Gen3, one NVENC):
--   * two inference servers, half a day apart, 2.5 ms per request on the
--     smaller part and 2-3 GB of model each;
--   * the video encoder.  The issue's lab put it on the A100, but the A100
--     has no NVENC (NVIDIA A100 datasheet; Video Encode and Decode GPU
--     Support Matrix), so the sim refuses an encoder there: it runs on the
--     T4, 1080p30 streams joining every ~20 s and staying ~60 s (2 to
--     start, at most 8), 10 % of the NVENC and 2 % of the SMs per stream.
--
-- Budget: the A100 at full load draws ~248 W, the T4 ~70 W; 240 W is
-- 75 % of that (the rule of the other bench labs): it binds when the
-- renderer's heavy scenes meet training and an inference burst.
return {
  name = "gpu-tenants",
  tick = "100ms", -- the profiler's loop in the issue's seed
  duration = "10m",
  seed = 16,
  budget_w = 240,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        -- no workload: a GPU with tenants takes its load from them
        { name = "gpu0", kind = "gpu", part = "a100-pcie", priority = 2 },
        { name = "gpu1", kind = "gpu", part = "t4", priority = 1 },
      },
      gpu_tenants = {
        { name = "render", device = "gpu0", pid = 5001, kind = "renderer" },
        { name = "train", device = "gpu0", pid = 5002, kind = "training",
          phase_s = 20 },
        { name = "serve-a", device = "gpu0", pid = 5003, kind = "inference" },
        { name = "serve-b", device = "gpu1", pid = 5101, kind = "inference",
          rps = 120, work_ms = 2.5, mem_b = 3e9 },
        { name = "serve-c", device = "gpu1", pid = 5102, kind = "inference",
          rps = 80, work_ms = 2.5, mem_b = 2e9, phase_s = 300 },
        { name = "encode", device = "gpu1", pid = 5103, kind = "encoder" },
      },
    },
  },
  -- The allocator's view of the tenants (README, GPU tenants): the
  -- renderer first and guaranteed a fifth of the A100, the servers a
  -- tenth each, the training job at most 80 % and last.
  vgpu = {
    mode = "predictive",
    tenants = {
      { name = "render", priority = 3, min_sm = 0.2 },
      { name = "train", priority = 1, max_sm = 0.8 },
      { name = "serve-a", priority = 2, min_sm = 0.1 },
      { name = "serve-b", priority = 2, min_sm = 0.1 },
      { name = "serve-c", priority = 1 },
      { name = "encode", priority = 2 },
    },
  },
}
