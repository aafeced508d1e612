-- wrk script for bench/render_cost.py:
-- rotates over paths: product pages m1..mN or list pages 1..N, set by env PATHS_KIND, PATHS_N
local kind = os.getenv("PATHS_KIND") or "product"
local n = tonumber(os.getenv("PATHS_N") or "300")
local i = 0
request = function()
  i = i + 1
  local k = (i % n) + 1
  if kind == "product" then
    return wrk.format("GET", "/product/" .. (k % 10) .. "-stanok-m" .. k)
  else
    return wrk.format("GET", "/catalog?page=" .. k)
  end
end
