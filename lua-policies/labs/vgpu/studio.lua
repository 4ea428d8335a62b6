-- studio.lua - `wattson bench vgpu` lab "studio", written after the
-- allocator's constants were set on mix.lua and never tuned on: a render
-- studio's GPUs (drivers/sim/README.md, "GPU tenants", for each kind's
-- model and the sources of its defaults).
--
-- gpu0, an A100 PCIe 40GB:
--   * preview and final: two renderers, 60 fps (SLO 55) and 30 fps (SLO
--     27), six and four scenes of 4-12 s and 8-20 s, 2-7 ms and 4-14 ms
--     of GPU per frame (0.12-0.42 and 0.12-0.42 of the SMs);
--   * api: an inference server, 100 requests/s, a 300 s day (+-60 %),
--     3x bursts of ~3 s every ~40 s, 1.5 ms a request;
--   * sweep: a best-effort training job (70 % of the SMs, 30 % of the
--     memory; SLO 15 % of its rate).
-- gpu1, a T4: the encoder (up to 10 streams) and an inference server at
-- 50 requests/s of 3 ms.
return {
  name = "vgpu-studio",
  description = "two renderers, an API server and a sweep on an A100; an encoder and a server on a T4",
  tick = "100ms",
  duration = "10m",
  seed = 7,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        { name = "gpu0", kind = "gpu", part = "a100-pcie" },
        { name = "gpu1", kind = "gpu", part = "t4" },
      },
      gpu_tenants = {
        { name = "preview", device = "gpu0", pid = 7001, kind = "renderer",
          scenes = 6, scene_min_s = 4, scene_max_s = 12, frame_ms_min = 2,
          frame_ms_max = 7 },
        { name = "final", device = "gpu0", pid = 7002, kind = "renderer",
          fps = 30, slo = 27, scenes = 4, scene_min_s = 8,
          scene_max_s = 20, frame_ms_min = 4, frame_ms_max = 14 },
        { name = "api", device = "gpu0", pid = 7003, kind = "inference",
          rps = 100, work_ms = 1.5, diurnal = 0.6, day_s = 300,
          burst_x = 3, burst_on_s = 3, burst_off_s = 40 },
        { name = "sweep", device = "gpu0", pid = 7004, kind = "training",
          sm = 0.7, mem_frac = 0.3, slo = 150 },
        { name = "encode", device = "gpu1", pid = 7101, kind = "encoder",
          max_streams = 10 },
        { name = "api-t4", device = "gpu1", pid = 7102, kind = "inference",
          rps = 50, work_ms = 3, mem_b = 3e9 },
      },
    },
  },
  vgpu = {
    tenants = {
      { name = "preview", priority = 3 },
      { name = "final", priority = 3 },
      { name = "api", priority = 2, min_sm = 0.1 },
      { name = "sweep", priority = 0, min_sm = 0.15 },
      { name = "encode", priority = 2 },
      { name = "api-t4", priority = 2, min_sm = 0.1 },
    },
  },
}
