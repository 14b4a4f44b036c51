-- post-login.lua: wrk script of the login benchmark.  Each request logs
-- one of the accounts bench/run.sh registered beforehand in, in turn:
-- bench-login-N@bench.invalid with password bench-password-N, for N from
-- 1 to BENCH_LOGIN_USERS.  Every login is a right one, so every answer
-- should be 200 (wrk counts anything else as non-2xx).
local users = tonumber(os.getenv("BENCH_LOGIN_USERS") or "16")
local n = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
	n = n % users + 1
	local body = string.format(
	    '{"email":"bench-login-%d@bench.invalid","password":"bench-password-%d"}',
	    n, n)
	return wrk.format(nil, "/api/v1/login", nil, body)
end
