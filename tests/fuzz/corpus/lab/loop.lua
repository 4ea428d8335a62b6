local s = ""
for i = 1, 100 do s = s .. string.rep("ab", i) end
local n = 0
for w in s:gmatch("ab") do n = n + 1 end
while n > 0 do n = n + 1 end
return { drivers = { { plugin = "sim", n = n } } }
