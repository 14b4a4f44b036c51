-- The login and registration limits (daemons/workerd/auth-limit.c): one row
-- per key, updated in place by one atomic upsert, so every worker behind the
-- load balancer sees the same counts and a restart forgets nothing.  Keys:
--   pair:<email> <addr>   failed logins on one account from one client
--   src:<addr>            failed logins from one client, any account
--   acct:<email>          failed logins on one account, any client
--   known:<email> <addr>  a client that logged in to the account (last_at)
--   reg:<addr>            registrations from one client
-- A key is refused while blocked_until is in the future; each failure past
-- `threshold` doubles the block (progressive delay).
CREATE TABLE auth_throttle (
	key		text PRIMARY KEY CHECK (key <> ''),
	count		integer NOT NULL DEFAULT 1 CHECK (count > 0),
	-- The count from which the key is blocked; 0 for keys never blocked.
	threshold	integer NOT NULL DEFAULT 0 CHECK (threshold >= 0),
	first_at	timestamptz NOT NULL DEFAULT now(),
	last_at		timestamptz NOT NULL DEFAULT now(),
	blocked_until	timestamptz
);
-- Purging keys that went quiet.
CREATE INDEX auth_throttle_last_at ON auth_throttle (last_at);

-- The failure log of the earlier limit (a row per failure, a 15-minute
-- lock of the account whoever failed): auth_throttle replaces it.
DROP TABLE login_failures;
