-- ring12.lua - a ring of 12 converter nodes (issue 14), for `wattson bench
-- mesh`: the mesh with the fewest redundant paths, two per node.  Ties of
-- 15 mOhm (longer runs than the grid's); cpu, gpu and fpga modules in
-- turn, an fpga that ages, a failure and a hot swap.
--
-- Events: node 6 (an fpga) fails at 15 s for 1 s; at
-- 17.5 s node 10's module (a cpu, id "cpu-10") is replaced by another cpu,
-- and at 22.5 s the first comes back; at 20 s the fpga on node
-- 3 has aged 20 mV (its timing cliff moves up) in a room 10 K warmer.
--
-- The same mesh twice: as the `mesh` section `wattson bench mesh` reads
-- (with its agents' settings), and as a `mesh` driver entry, so that
-- `wattson --lab ring12.lua` runs it with the mesh agents' engine and the
-- console's Q-values pane shows them (drivers/mesh/meshdrv.c).
local mesh = {
  nodes = 12,
  topology = "ring",
  link_r = 0.015,
  modules = {
    { node = 1, type = "cpu", id = "cpu-1" },
    { node = 2, type = "gpu", id = "gpu-2" },
    { node = 3, type = "fpga", id = "fpga-3" },
    { node = 4, type = "cpu", id = "cpu-4" },
    { node = 5, type = "gpu", id = "gpu-5" },
    { node = 6, type = "fpga", id = "fpga-6" },
    { node = 7, type = "cpu", id = "cpu-7" },
    { node = 8, type = "gpu", id = "gpu-8" },
    { node = 9, type = "fpga", id = "fpga-9" },
    { node = 10, type = "cpu", id = "cpu-10" },
    { node = 11, type = "gpu", id = "gpu-11" },
    { node = 12, type = "fpga", id = "fpga-12" },
  },
  events = {
    { at = "15s",   fail = 6 },
    { at = "16s",   recover = 6 },
    { at = "17.5s", detach = 10 },
    { at = "17.5s", attach = 10, type = "cpu", id = "cpu-new" },
    { at = "22.5s", detach = 10 },
    { at = "22.5s", attach = 10, type = "cpu", id = "cpu-10" },
    { at = "20s",   drift = 3, dvth = 0.02, ambient_c = 40 },
  },
  agents = { controller = "q", loss = 0.01, heartbeat_miss = 3 },
}

-- the driver's entry: the mesh's description without the agents' settings
local driver = { plugin = "mesh" }
for k, v in pairs(mesh) do
  if k ~= "agents" then driver[k] = v end
end

return {
  name = "ring12",
  tick = "10ms",
  duration = "27.5s",
  seed = 11,
  mesh = mesh,
  drivers = { driver },
}
