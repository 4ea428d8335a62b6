local devices = {}
for i = 1, 4 do
  devices[#devices + 1] = { name = string.format("cpu%d", i - 1), kind = "cpu",
                            tdp = 35 + 5 * i, turbo = i % 2 == 0 }
end
return {
  name = "rack", description = "four CPUs", tick = "250ms", duration = "2m",
  seed = 42, budget_w = 150.5, policy = "policies/greedy.lua",
  limits = { energy_j = 1e6, deadline_misses = 0, peak_power_w = 200 },
  drivers = { { plugin = "sim", devices = devices },
              { plugin = "rapl", zone = "package", [1] = "a" } },
}
