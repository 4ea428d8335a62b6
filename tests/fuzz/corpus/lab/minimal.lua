return { drivers = { { plugin = "sim" } } }
