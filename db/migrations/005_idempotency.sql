-- 005_idempotency.sql: exactly-once effects of the requests and jobs that
-- create work (daemons/workerd/idempotency.h, mail-outbox.h).
--
-- It touches only what it creates, plus a column and an index on jobs and
-- an index on notifications, so it applies before or after any other
-- migration of the same series.

-- The answers of requests sent with an Idempotency-Key.  `scope` is whose
-- key it is ("u:<user id>", or "a:<client address>" for a client without
-- a token), so two users never share a key.  A row is written, under an
-- advisory lock on the key, before the request does anything: a second
-- request with the key finds it and waits (409), replays the stored
-- answer ('done'), or is refused because it is another request
-- (fingerprint: the SHA-256 of the method, target and body, 422).
-- Only 2xx answers are stored; any other answer deletes the row, since
-- the request created nothing and may be sent again.  Rows expire after
-- idempotency.ttl and the sweeper deletes them.
CREATE TABLE idempotency_keys (
	scope		text NOT NULL CHECK (scope <> ''),
	key		text NOT NULL CHECK (key ~ '^[!-~]{1,255}$'),
	fingerprint	text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
	state		text NOT NULL DEFAULT 'running'
			CHECK (state IN ('running', 'done')),
	status		int CHECK (status BETWEEN 200 AND 299),
	content_type	text,
	-- Extra header lines of the answer ("Location: …\r\n").
	headers		text,
	body		text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	PRIMARY KEY (scope, key),
	CHECK (state = 'running' OR status IS NOT NULL)
);
-- The sweeper's purge of expired keys.
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

-- A job made for a request with an Idempotency-Key carries that key (with
-- its scope and the key's creation time), so a request run again after a
-- crash finds the job it made instead of making a second one.  NULL for
-- jobs without one; NULLs never collide.
ALTER TABLE jobs ADD COLUMN dedup_key text UNIQUE
	CHECK (dedup_key IS NULL OR dedup_key <> '');

-- One notification per job and kind: a report job run again after a crash
-- or a redelivery cannot notify twice.  Duplicates written before this
-- migration are removed first (the oldest is kept).
DELETE FROM notifications a USING notifications b
	WHERE a.body ? 'job_id' AND b.body ? 'job_id' AND
	a.user_id = b.user_id AND a.kind = b.kind AND
	a.body->>'job_id' = b.body->>'job_id' AND a.id > b.id;
CREATE UNIQUE INDEX notifications_job_once ON notifications
	(user_id, kind, (body->>'job_id')) WHERE body ? 'job_id';

-- Mail to send, one row per job and kind, written in the same statement as
-- the job's notification.  Any worker's sweeper sends the rows that are
-- due (next_at); a send first claims the row by moving next_at past the
-- time the send may take (a lease), so two workers never send one row at
-- once, and a worker that dies mid-send leaves a row that is due again
-- once the lease ends.  A failed send is tried again with exponential
-- backoff (smtp.retry_max_interval at most) until give_up_at
-- (smtp.retry_for after the row was written), then 'failed'.  A job with
-- a 'pending' row stays 'running': it is done when its mail is.
CREATE TABLE mail_outbox (
	id		bigserial PRIMARY KEY,
	job_id		bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	kind		text NOT NULL CHECK (kind <> ''),
	recipient	text NOT NULL CHECK (recipient <> ''),
	subject		text NOT NULL,
	body		text NOT NULL,
	state		text NOT NULL DEFAULT 'pending'
			CHECK (state IN ('pending', 'sent', 'failed')),
	attempts	int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_at		timestamptz NOT NULL DEFAULT now(),
	give_up_at	timestamptz NOT NULL,
	last_error	text,
	sent_at		timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (job_id, kind)
);
-- The sweeper's query: only the rows still to send are in this index.
CREATE INDEX mail_outbox_due ON mail_outbox (next_at) WHERE state = 'pending';
