-- The user's photo (PUT /api/v1/me/photo): one of the user's files.  When
-- that file is deleted the user simply has no photo again.
ALTER TABLE users ADD COLUMN photo_file_id bigint
	REFERENCES files (id) ON DELETE SET NULL;
