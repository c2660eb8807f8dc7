-- A pointer-heavy Lua workload: binary trees (tables of tables, built and dropped),
-- then a long-lived graph of records whose references are rewired at random.
local scale = tonumber(arg and arg[1]) or 1

local function bottom_up(depth)
  if depth == 0 then return {} end
  depth = depth - 1
  return { bottom_up(depth), bottom_up(depth) }
end

local function check(t)
  if t[1] then return 1 + check(t[1]) + check(t[2]) end
  return 1
end

local total = 0
local long_lived = bottom_up(14)
for d = 4, 14, 2 do
  local iters = (1 << (14 - d + 4)) * scale
  for _ = 1, iters do total = total + check(bottom_up(d)) end
end
total = total + check(long_lived)

local n = 20000
local nodes = {}
for i = 1, n do nodes[i] = { id = i, next = false, prev = false, name = "n" .. i } end
for i = 1, n do nodes[i].next = nodes[i % n + 1]; nodes[i % n + 1].prev = nodes[i] end
local seed = 42
local function rnd(m) seed = (seed * 1103515245 + 12345) % 2147483648; return seed % m + 1 end
for _ = 1, 300000 * scale do
  local a, b = nodes[rnd(n)], nodes[rnd(n)]
  if a ~= b and a.next ~= b then
    a.prev.next = a.next; a.next.prev = a.prev       -- unlink a
    a.next = b.next; a.prev = b; b.next.prev = a; b.next = a  -- after b
  end
end
local len, p = 1, nodes[1].next
while p ~= nodes[1] do len = len + 1; p = p.next end
print(total, len)
