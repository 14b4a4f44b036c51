-- 009_files_dedup.sql: a keyed upload (Idempotency-Key) records its key
-- in its file's row, in the statement that makes the row.
--
-- The key's answer is stored after the row is committed.  A worker that
-- died in between (kill -9, a crash) left the key 'running' with its lock
-- gone, so the next try with the key runs the upload again; it looks up
-- this column first and answers the file the first try stored, instead of
-- storing a second one.  The same as jobs.dedup_key (005) for jobs.
ALTER TABLE files ADD COLUMN dedup_key text UNIQUE
	CHECK (dedup_key IS NULL OR dedup_key <> '');
