-- grid3x3.lua - a 3 x 3 converter mesh (issue 14), for `wattson bench mesh`
-- and `wattson run`.
-- Nine 12 V -> core-voltage node converters (drivers/mesh/conv.h) joined
-- to their grid neighbours by 10 mOhm tie switches, open until a node
-- fails; cpu, gpu and fpga modules (drivers/mesh/cmod.h) in a checker
-- pattern, so every node's neighbours carry other types.
--
-- Events: the centre node's converter fails at 15 s and comes back at
-- 16 s (its four neighbours must carry its cpu module); at 17.5 s the
-- fpga on node 3 is pulled and a gpu plugged in its place (hot swap); at
-- 22.5 s the fpga comes back (its agent's table was saved when it left).
--
-- The same mesh twice: as the `mesh` section `wattson bench mesh` reads
-- (with its agents' settings), and as a `mesh` driver entry, so that
-- `wattson --lab grid3x3.lua` runs it with the mesh agents' engine and the
-- console's Q-values pane shows them (drivers/mesh/meshdrv.c).
local mesh = {
  nodes = 9,
  topology = "grid", cols = 3,
  link_r = 0.010,
  modules = {
    { node = 1, type = "cpu",  id = "cpu-a" },
    { node = 2, type = "gpu",  id = "gpu-a" },
    { node = 3, type = "fpga", id = "fpga-a" },
    { node = 4, type = "gpu",  id = "gpu-b" },
    { node = 5, type = "cpu",  id = "cpu-b" },
    { node = 6, type = "gpu",  id = "gpu-c" },
    { node = 7, type = "fpga", id = "fpga-b" },
    { node = 8, type = "gpu",  id = "gpu-d" },
    { node = 9, type = "cpu",  id = "cpu-c" },
  },
  events = {
    { at = "15s",   fail = 5 },
    { at = "16s",   recover = 5 },
    { at = "17.5s", detach = 3 },
    { at = "17.5s", attach = 3, type = "gpu", id = "gpu-e" },
    { at = "22.5s", detach = 3 },
    { at = "22.5s", attach = 3, type = "fpga", id = "fpga-a" },
  },
  agents = { controller = "q", alpha = 0.1, gamma = 0.9, epsilon = 0.2,
             epsilon_floor = 0.02, duty_step = 4e-4, loss = 0.01 },
}

-- the driver's entry: the mesh's description without the agents' settings
local driver = { plugin = "mesh" }
for k, v in pairs(mesh) do
  if k ~= "agents" then driver[k] = v end
end

return {
  name = "grid3x3",
  tick = "10ms",
  duration = "27.5s",
  seed = 7,
  mesh = mesh,
  drivers = { driver },
}
