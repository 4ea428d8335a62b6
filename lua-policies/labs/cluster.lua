-- cluster.lua - a heterogeneous training cluster: its PUs simulated by the
-- sim driver (drivers/sim/README.md) for `wattson run`, and its device map
-- (`cluster`, README "Lab file reference") for `wattson partition MODEL
-- --lab lua-policies/labs/cluster.lua`.
--
-- One server holds two V100 SXM2 16 GB joined by NVLink, two T4 16 GB on
-- PCIe and the host CPU (a Zen 3 EPYC); a second node with one more T4 is
-- reached over 10 GbE.  Speeds are relative to a V100, the GPU the shared
-- PipeDream profiles were measured on (speed 1).
--
-- Sources and assumptions:
--  * V100 SXM2 (NVIDIA Tesla V100 datasheet): 300 W, 5120 FP32 lanes,
--    boost 1530 MHz, 15.7 TFLOP/s FP32, 16 GB HBM2 (900 GB/s).
--  * T4 (NVIDIA T4 datasheet): 70 W, 8.1 TFLOP/s FP32, 16 GB GDDR6
--    (320 GB/s), PCIe 3.0 x16.  speed 0.45: between the FP32 peak ratio
--    8.1 / 15.7 = 0.52 and the memory-bandwidth ratio 320 / 900 = 0.36,
--    training kernels being a mix of both (an assumption, not measured).
--  * NVLink 2 (NVIDIA, the DGX-1 with Tesla V100 system architecture and
--    the NVLink product page): each link carries 25 GB/s per direction, a
--    V100 has six; in the DGX-1's hybrid cube-mesh some GPU pairs are
--    joined by two links (50 GB/s per direction; the 300 GB/s quoted for a
--    V100 is all six links, both directions).  The pair here has two links;
--    45 GB/s usable is an assumption (90 % of peak; Li et al., "Evaluating
--    Modern GPU Interconnect", arXiv:1903.04611, 2019, measure the
--    DGX-1's pairs below peak and unequal by their number of links).
--  * PCIe 3.0 x16: 8 GT/s x 16 lanes, 128b/130b = 15.75 GB/s per direction
--    raw; 12 GB/s usable after packet overheads (the partitioner's default
--    --link, README "Model partitioner").
--  * 10 GbE: 1.25 GB/s line rate; 50 us per message through two kernel
--    TCP stacks and a switch (an order of magnitude, not measured).
--  * Latencies of 5 us (NVLink) and 10 us (PCIe) stand for a small peer
--    copy's launch-to-completion time, dominated by the driver, not the
--    wire (an order of magnitude, not measured).
--  * The host: one EPYC 7543 (AMD: 32 Zen 3 cores, 2.8 GHz base); two
--    256-bit FMA pipes per core give 32 x 32 x 2.8e9 = 2.9 TFLOP/s FP32
--    peak, 0.18 of a V100; frameworks reach a fraction of a CPU's peak in
--    training, so speed 0.05 (an assumption).  256 GB of memory.
--
-- The sim has no V100 preset: gpu0 and gpu1 are the a100-pcie preset with
-- a V100 SXM2's figures in place of its own (the V/f points are assumed,
-- as the A100's are: NVIDIA publishes no voltages).  The sim's four Zen 3
-- cores stand for four of the host's; the host's device follows cpu0.
--
-- Budget: full load draws about 2 x 290 + 3 x 70 + 4 x 10.7 = 833 W; 625 W
-- is 75 % of it (the rule of every bench lab, as default.lua), so it binds
-- when the training jobs peak together.

-- A V100 SXM2 on the a100-pcie preset: 32 P-states 135-1530 MHz, 45 MHz
-- apart (the lowest clock as nvidia-smi lists a V100's supported graphics
-- clocks; its real step is finer, so the table is a subset), 0.70 V up to
-- 765 MHz then rising to 1.00 V at boost.  255 W dynamic at 1530 MHz and
-- 1.00 V: C_eff = 255 / 1.53e9 = 167 nF; 30 W static; R 0.19 K/W settles
-- full load (~290 W) near 80 C.  Power limits 150-300 W.
local function v100(name, workload)
  local ps = {}
  for i = 0, 31 do
    local f = 135e6 + 45e6 * i
    local v = 0.70
    if f > 765e6 then
      v = 0.70 + 0.30 * (f - 765e6) / (1530e6 - 765e6)
    end
    ps[#ps + 1] = { freq_hz = f, volt = v }
  end
  return { name = name, kind = "gpu", part = "a100-pcie", priority = 2,
           pstates = ps, c_eff_f = 1.667e-7, leak_w = 30, r_th = 0.19,
           ops_per_cycle = 10240, power_cap_min_w = 150,
           power_cap_max_w = 300, workload = workload }
end

local function link(from, to, bw, lat, kind)
  return { from = from, to = to, bw = bw, lat = lat, kind = kind }
end

return {
  name = "cluster",
  description = "2x V100 (NVLink), 2x T4 (PCIe), a host, a second node",
  tick = "10ms",
  duration = "60s",
  seed = 15,
  budget_w = 625,
  drivers = {
    { plugin = "sim",
      ambient_c = 25,
      devices = {
        -- the host's cores: data loading and the optimizer's bookkeeping
        { name = "cpu0", kind = "cpu", part = "zen3-core", priority = 2,
          workload = { kind = "sine", mean = 0.5, amplitude = 0.3,
                       period_s = 20 } },
        { name = "cpu1", kind = "cpu", part = "zen3-core", priority = 2,
          workload = { kind = "constant", level = 0.4 } },
        { name = "cpu2", kind = "cpu", part = "zen3-core", priority = 1,
          workload = { kind = "constant", level = 0.3 } },
        { name = "cpu3", kind = "cpu", part = "zen3-core", priority = 1,
          workload = { kind = "constant", level = 0.2 } },
        -- the pipeline's fast stages, near full load
        v100("gpu0", { kind = "random_walk", start = 0.9, sigma = 0.05,
                       min = 0.7, max = 1.0 }),
        v100("gpu1", { kind = "random_walk", start = 0.9, sigma = 0.05,
                       min = 0.7, max = 1.0 }),
        -- the slower stages
        { name = "gpu2", kind = "gpu", part = "t4", priority = 2,
          workload = { kind = "random_walk", start = 0.7, sigma = 0.1,
                       min = 0.4, max = 0.9 } },
        { name = "gpu3", kind = "gpu", part = "t4", priority = 2,
          workload = { kind = "random_walk", start = 0.7, sigma = 0.1,
                       min = 0.4, max = 0.9 } },
        -- the second node's T4
        { name = "gpu4", kind = "gpu", part = "t4", priority = 1,
          workload = { kind = "constant", level = 0.5 } },
      } },
  },
  cluster = {
    -- the training job a run pipelines over these devices (ResNet-50 as
    -- PipeDream profiled it on a V100), repartitioned when a device slows
    model = "models/resnet50.txt",
    devices = {
      { name = "v100a", kind = "gpu", speed = 1.0, mem = "16GB", pu = "gpu0" },
      { name = "v100b", kind = "gpu", speed = 1.0, mem = "16GB", pu = "gpu1" },
      { name = "t4a", kind = "gpu", speed = 0.45, mem = "16GB", pu = "gpu2" },
      { name = "t4b", kind = "gpu", speed = 0.45, mem = "16GB", pu = "gpu3" },
      { name = "host", kind = "cpu", speed = 0.05, mem = "256GB",
        pu = "cpu0" },
      { name = "node2", kind = "gpu", speed = 0.45, mem = "16GB",
        pu = "gpu4" },
    },
    links = {
      link("v100a", "v100b", "45GB/s", "5us", "nvlink"),
      link("v100a", "host", "12GB/s", "10us", "pcie"),
      link("v100b", "host", "12GB/s", "10us", "pcie"),
      link("t4a", "host", "12GB/s", "10us", "pcie"),
      link("t4b", "host", "12GB/s", "10us", "pcie"),
      -- the two T4s share a PCIe switch: peer copies skip the host
      link("t4a", "t4b", "12GB/s", "10us", "pcie"),
      -- the second node: its T4 behind its host, a NIC and the network,
      -- one link of the slowest hop
      link("host", "node2", "1.25GB/s", "50us", "ethernet"),
    },
  },
}
