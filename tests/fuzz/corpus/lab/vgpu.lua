return { drivers = { { plugin = "sim" } },
  vgpu = { mode = "reactive", interval = "50ms", horizon = "1s",
    headroom = 0.2, tenants = { { name = "a", min_sm = 0.1, max_sm = 0.9,
    min_mem = "1GB", max_mem = "8GB", priority = 4 }, { name = "b" } } } }
