-- 001_init.sql: the first schema of pfo3.
--
-- pfo3-workerd runs every migration once, inside a transaction of its own
-- (see daemons/workerd/migrate.h), and records it in schema_migrations.  So
-- this file holds no BEGIN/COMMIT and nothing that refuses to run in a
-- transaction (CREATE INDEX CONCURRENTLY, CREATE DATABASE).  The statements
-- are plain CREATEs, without IF NOT EXISTS, on purpose: a table that already
-- exists with another shape must stop the migration loudly, not be accepted
-- as if it were ours.
--
-- Conventions: ids are bigserial (a busy jobs table outgrows int); times are
-- timestamptz (workers on several hosts may run in different time zones);
-- CHECK constraints are the last line of defence behind the handlers'
-- validation, so a bug cannot store a value that other code cannot read.

-- updated_at is kept by the database itself: no UPDATE of a handler can
-- forget it, and the sweeper and the console rely on it to find stuck jobs.
CREATE FUNCTION pfo3_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END
$$;

-- Accounts.  The e-mail address is unique whatever its case, since mail
-- systems treat "Ann@x.org" and "ann@x.org" as one mailbox, and login looks
-- users up by lower(email), which this index serves.  The address keeps the
-- case the user typed, for display and for mail.
CREATE TABLE users (
	id		bigserial PRIMARY KEY,
	email		text NOT NULL
			CHECK (length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1),
	name		text NOT NULL DEFAULT '',
	-- An encoded argon2id string ("$argon2id$v=19$m=…"): it carries its
	-- own salt and parameters, so parameters can change at login.
	password_hash	text NOT NULL CHECK (password_hash <> ''),
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));

-- Login sessions.  The token itself is never stored: only a 32-byte hash of
-- it (SHA-256 or BLAKE2b-256), so a leaked table opens no session.  Deleting
-- a user ends their sessions.
CREATE TABLE sessions (
	token_hash	bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
	user_id		bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	CHECK (expires_at > created_at)
);
-- "Log out everywhere" and the cascade from users look sessions up by user.
CREATE INDEX sessions_user_id ON sessions (user_id);
-- Purging expired sessions is a range scan, not a walk of the whole table.
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Failed logins, one row per failure, for rate limiting.  `key` is what is
-- limited: an e-mail address (lowercased) or a client address, so that both
-- guessing one account's password and spraying many accounts are slowed.
-- Rows are not tied to users: failures for unknown addresses count too.
CREATE TABLE login_failures (
	key		text NOT NULL CHECK (key <> ''),
	at		timestamptz NOT NULL DEFAULT now()
);
-- "How many failures for this key in the last N minutes".
CREATE INDEX login_failures_key_at ON login_failures (key, at);
-- Purging old rows.
CREATE INDEX login_failures_at ON login_failures (at);

-- Uploaded files.  The row is written only after the object is in S3, so a
-- row always names an object.  Deleting a user who still has files is
-- refused (no cascade): the objects in S3 must be removed first, otherwise
-- they would be left behind with nothing pointing at them.
CREATE TABLE files (
	id		bigserial PRIMARY KEY,
	owner_id	bigint NOT NULL REFERENCES users (id),
	s3_key		text NOT NULL UNIQUE CHECK (s3_key <> ''),
	size		bigint NOT NULL CHECK (size >= 0),
	content_type	text NOT NULL CHECK (content_type <> ''),
	-- Lowercase hex, as sha256sum prints it, so clients can compare.
	sha256		text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	-- As the client sent it; only ever shown, never used as a path.
	original_name	text NOT NULL DEFAULT '',
	created_at	timestamptz NOT NULL DEFAULT now()
);
-- A user's files, newest first, and the owner check of every file request.
CREATE INDEX files_owner_id ON files (owner_id, id);

-- Thumbnails of image files, one per size.  They belong to their file: its
-- deletion removes these rows (its objects are removed with the file's).
-- The primary key makes a redelivered thumbnail job harmless: it updates
-- the row instead of adding a second one.
CREATE TABLE thumbnails (
	file_id		bigint NOT NULL REFERENCES files (id) ON DELETE CASCADE,
	size		int NOT NULL CHECK (size IN (128, 512)),
	s3_key		text NOT NULL UNIQUE CHECK (s3_key <> ''),
	width		int NOT NULL,
	height		int NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (file_id, size),
	-- A thumbnail fits the square box its size names.
	CHECK (width BETWEEN 1 AND size AND height BETWEEN 1 AND size)
);

-- Background jobs.  This row, not the broker, is the source of truth: a job
-- is committed here before its message is published, and a consumer that
-- gets a message for a job already done acknowledges it and does nothing.
CREATE TABLE jobs (
	id		bigserial PRIMARY KEY,
	type		text NOT NULL CHECK (type IN ('report', 'thumbnail', 'task')),
	-- NULL for jobs no user asked for.  A user's deletion keeps the
	-- history of the work done (SET NULL) instead of erasing it.
	user_id		bigint REFERENCES users (id) ON DELETE SET NULL,
	status		text NOT NULL DEFAULT 'queued'
			CHECK (status IN ('queued', 'running', 'done', 'failed')),
	payload		jsonb NOT NULL DEFAULT '{}',
	result		jsonb,
	error		text,
	attempts	int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	-- The worker id that ran it last, to trace a job across hosts.
	worker		text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	-- Set once the broker confirmed the message.  A row still NULL some
	-- time after created_at was committed but never published (the worker
	-- died in between): the sweeper publishes it again.
	published_at	timestamptz
);
CREATE INDEX jobs_status ON jobs (status);
-- The sweeper's query stays cheap however many jobs are done: only the
-- unpublished rows are in this index.
CREATE INDEX jobs_unpublished ON jobs (created_at) WHERE published_at IS NULL;
-- A user's jobs, and the SET NULL from users.
CREATE INDEX jobs_user_id ON jobs (user_id, id);
CREATE TRIGGER jobs_touch_updated_at BEFORE UPDATE ON jobs
	FOR EACH ROW EXECUTE FUNCTION pfo3_touch_updated_at();

-- In-app notifications (a report is ready, …).  They are also published on
-- the events exchange for clients listening live; this table is what a
-- client that was away reads.  They go with their user.
CREATE TABLE notifications (
	id		bigserial PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind		text NOT NULL CHECK (kind <> ''),
	body		jsonb NOT NULL DEFAULT '{}',
	created_at	timestamptz NOT NULL DEFAULT now(),
	read_at		timestamptz
);
-- A user's notifications in order, and "everything after id N" for polling.
CREATE INDEX notifications_user_id ON notifications (user_id, id);
