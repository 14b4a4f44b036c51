-- 007_job_types.sql: the job types as rows that jobs.type references,
-- instead of a CHECK that listed them a third time.
--
-- The types are declared once, in common/job-types.c.  This table holds
-- the same names so the database still refuses a row of an unknown type;
-- `pfo3-workerd --migrate` compares the two after migrating and fails,
-- naming the type, when one of the program's types has no row here.  A
-- new type therefore comes with a migration that inserts its name.
-- Names the program does not know (a newer release ran) are only logged.
CREATE TABLE job_types (
	name		text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$')
);

INSERT INTO job_types (name) VALUES ('report'), ('thumbnail'), ('task');

ALTER TABLE jobs DROP CONSTRAINT jobs_type_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_type_fkey
	FOREIGN KEY (type) REFERENCES job_types (name);
