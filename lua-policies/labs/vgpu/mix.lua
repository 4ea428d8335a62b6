-- mix.lua - `wattson bench vgpu` lab "mix": two simulated GPUs shared by
-- latency-critical tenants and a best-effort batch job, the consolidation
-- case a dynamic allocator is for (drivers/sim/README.md, "GPU tenants",
-- for every tenant kind's model and the sources of its defaults).
--
-- gpu0, an A100 PCIe 40GB:
--   * render: a game-like renderer at 60 fps (SLO 55), five scenes of
--     5-15 s repeating, 3-8 ms of GPU per frame (0.18-0.48 of the SMs),
--     textures streamed in over 0.75 s before each scene's frames;
--   * serve: an inference server, 150 requests/s over a compressed day
--     of 600 s (+-50 %) with 2x bursts (~5 s every ~60 s), 1 ms of GPU
--     per request (0.08-0.45 of the SMs), SLO 50 ms mean latency;
--   * batch: a training job that would take 90 % of the SMs, run best
--     effort: its SLO is 10 % of its full rate (100 samples/s).
-- gpu1, a T4: two inference servers half a day apart (2.5 ms a request
-- on the smaller part: 0.05-0.45 of its SMs) and the video encoder
-- (1080p30 streams joining and leaving, 2 % of the SMs each).
--
-- No power budget: the bench compares sharing, not power.  The `vgpu`
-- table gives the latency-critical tenants priority over the batch job,
-- and the servers a guarantee of 10 % each.
return {
  name = "vgpu-mix",
  description = "renderer, inference and a batch job on an A100; two servers and an encoder on a T4",
  tick = "100ms",
  duration = "10m",
  seed = 1,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        { name = "gpu0", kind = "gpu", part = "a100-pcie", priority = 2 },
        { name = "gpu1", kind = "gpu", part = "t4", priority = 1 },
      },
      gpu_tenants = {
        { name = "render", device = "gpu0", pid = 6001, kind = "renderer",
          scene_min_s = 5, scene_max_s = 15, frame_ms_min = 3,
          frame_ms_max = 8 },
        { name = "serve", device = "gpu0", pid = 6002, kind = "inference",
          rps = 150, work_ms = 1 },
        { name = "batch", device = "gpu0", pid = 6003, kind = "training",
          sm = 0.9, mem_frac = 0.4, slo = 100 },
        { name = "serve-b", device = "gpu1", pid = 6101, kind = "inference",
          rps = 60, work_ms = 2.5, mem_b = 3e9 },
        { name = "serve-c", device = "gpu1", pid = 6102, kind = "inference",
          rps = 60, work_ms = 2.5, mem_b = 2e9, phase_s = 300 },
        { name = "encode", device = "gpu1", pid = 6103, kind = "encoder" },
      },
    },
  },
  vgpu = {
    mode = "predictive",
    tenants = {
      { name = "render", priority = 3 },
      { name = "serve", priority = 2, min_sm = 0.1 },
      { name = "batch", priority = 0, min_sm = 0.15 },
      { name = "serve-b", priority = 2, min_sm = 0.1 },
      { name = "serve-c", priority = 2, min_sm = 0.1 },
      { name = "encode", priority = 2 },
    },
  },
}
