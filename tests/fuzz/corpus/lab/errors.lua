local t = setmetatable({}, { __index = function(_, k) return #k end })
local ok, e = pcall(error, { code = 1 })
return { budget_w = -5, tick = "5x", limits = { foo = t.abc },
         drivers = { {}, { plugin = 1, f = math.floor } } }
