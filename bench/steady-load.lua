-- steady-load.lua: wrk script of the report benchmark's background load.
-- Every connection sends, in turn, a synchronous `suma` task and a
-- `GET /api/v1/me` (a session lookup in PostgreSQL) with the token in
-- BENCH_TOKEN, and waits BENCH_DELAY_MS milliseconds before each request:
-- with C connections, about C × 1000 / BENCH_DELAY_MS requests a second
-- whatever the latency, instead of as many as the stack can answer.
local token = os.getenv("BENCH_TOKEN") or ""
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "50")
local n = 0
local task = '{"operacion":"suma","datos":{"a":25,"b":17}}'

function request()
	n = n + 1
	if n % 2 == 1 then
		return wrk.format("POST", "/api/v1/tasks",
		    { ["Content-Type"] = "application/json" }, task)
	end
	return wrk.format("GET", "/api/v1/me",
	    { ["Authorization"] = "Bearer " .. token }, nil)
end

function delay()
	return pause
end
