return {
  drivers = { { plugin = "sim" } },
  cluster = {
    devices = {
      { name = "v100a", kind = "gpu", speed = 1, mem = "16GB", pu = "gpu0" },
      { name = "t4a", kind = "gpu", speed = "450m", mem = 16e9 },
      { name = "host", kind = "cpu", speed = 0.05 },
      { name = "node2", kind = "accel" },
    },
    links = {
      { from = "v100a", to = "host", bw = "12GB/s", lat = "10us", kind = "pcie" },
      { from = "t4a", to = "host", bw = 12e9, lat = 1e-5, kind = "pcie" },
      { from = "v100a", to = "t4a", bw = "45G", kind = "nvlink" },
      { from = "host", to = "node2", bw = 1.25e9, lat = "50us", kind = "ethernet" },
    },
  },
}
