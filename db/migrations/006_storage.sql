-- 006_storage.sql: every S3 object key pfo3 writes, recorded before the
-- object is written.
--
-- A worker can die between its PUT and the statement that writes the
-- object's row, and a PUT our client gave up on (a timeout) can still land
-- in S3 later.  Either leaves an object no row names.  So each key is
-- reserved here first ('reserved'), with the multipart UploadId once S3
-- gave one, and becomes 'linked' in the transaction that commits the row
-- naming it (the triggers below, so no writer can forget it).  The
-- reconciler (daemons/workerd/storage-scan.c) then tells a leak of ours (a
-- reservation older than storage.stale_after that never got its row) from
-- an object someone else put in the bucket (no reservation at all), which
-- it never deletes on its own.
CREATE TABLE s3_objects (
	key		text PRIMARY KEY CHECK (key <> ''),
	kind		text NOT NULL CHECK (kind IN ('file', 'thumbnail', 'report')),
	state		text NOT NULL DEFAULT 'reserved'
			CHECK (state IN ('reserved', 'linked')),
	-- The multipart upload under way for this key: kept until it is
	-- completed, aborted, or freed by the reconciler (S3 servers that
	-- refuse AbortMultipartUpload keep the parts otherwise).
	upload_id	text CHECK (upload_id <> ''),
	-- When the key was last reserved: a reservation older than
	-- storage.stale_after whose row never committed is a leak.
	reserved_at	timestamptz NOT NULL DEFAULT now(),
	linked_at	timestamptz
);
-- The reconciler's queries: stale reservations, oldest first.
CREATE INDEX s3_objects_reserved ON s3_objects (reserved_at)
	WHERE state = 'reserved';

-- Marks `k` linked (or records it linked: rows written before this
-- migration, or by hand, have no reservation).  The upload id goes: a row
-- is committed only once its object is whole.
CREATE FUNCTION s3_objects_link(k text, kd text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO s3_objects (key, kind, state, linked_at)
	VALUES (k, kd, 'linked', now())
	ON CONFLICT (key) DO UPDATE SET state = 'linked', upload_id = NULL,
		linked_at = now();
END
$$;

-- files and thumbnails: a row names its object while it exists.  Deleting
-- the row comes after deleting the objects (files.c), so the record goes
-- with the row.
CREATE FUNCTION s3_objects_track() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') AND
	    (TG_OP = 'DELETE' OR OLD.s3_key IS DISTINCT FROM NEW.s3_key) THEN
		DELETE FROM s3_objects WHERE key = OLD.s3_key;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		PERFORM s3_objects_link(NEW.s3_key, TG_ARGV[0]);
		RETURN NEW;
	END IF;
	RETURN OLD;
END
$$;
CREATE TRIGGER files_s3_objects AFTER INSERT OR UPDATE OF s3_key OR DELETE
	ON files FOR EACH ROW EXECUTE FUNCTION s3_objects_track('file');
CREATE TRIGGER thumbnails_s3_objects AFTER INSERT OR UPDATE OR DELETE
	ON thumbnails FOR EACH ROW EXECUTE FUNCTION s3_objects_track('thumbnail');

-- Report PDFs: a job's result names its object ({"s3_key": …}).
CREATE FUNCTION s3_objects_track_job() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.result ->> 's3_key' IS NOT NULL AND
	    OLD.result ->> 's3_key' IS DISTINCT FROM NEW.result ->> 's3_key' THEN
		DELETE FROM s3_objects WHERE key = OLD.result ->> 's3_key';
	END IF;
	IF NEW.result ->> 's3_key' IS NOT NULL THEN
		PERFORM s3_objects_link(NEW.result ->> 's3_key', 'report');
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER jobs_s3_objects AFTER UPDATE OF result ON jobs
	FOR EACH ROW WHEN (NEW.type = 'report' AND
	    OLD.result IS DISTINCT FROM NEW.result)
	EXECUTE FUNCTION s3_objects_track_job();

-- The objects that existed before this migration are ours and linked.
INSERT INTO s3_objects (key, kind, state, linked_at)
	SELECT s3_key, 'file', 'linked', now() FROM files
	UNION ALL SELECT s3_key, 'thumbnail', 'linked', now() FROM thumbnails
	UNION ALL SELECT result ->> 's3_key', 'report', 'linked', now() FROM jobs
		WHERE type = 'report' AND result ->> 's3_key' IS NOT NULL
	ON CONFLICT (key) DO NOTHING;
