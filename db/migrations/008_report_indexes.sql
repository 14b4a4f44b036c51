-- 008_report_indexes.sql: a monthly report reads one month of a user's
-- logins, uploads and tasks (daemons/workerd/jobs-report.c).  By user
-- alone, that read walked every row the user ever had; with these it
-- walks the month's rows only, so a report costs what its month holds,
-- not what the user's history holds.
CREATE INDEX sessions_user_created ON sessions (user_id, created_at);
CREATE INDEX files_owner_created ON files (owner_id, created_at);
CREATE INDEX jobs_user_created ON jobs (user_id, created_at);
