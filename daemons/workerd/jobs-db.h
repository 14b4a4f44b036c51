/*
 * jobs-db.h — the SQL of the `jobs` and `job_types` tables.
 *
 * Every statement on `jobs` is here, named by what it does for the jobs
 * module (jobs.c accepts and reads, jobs-run.c claims and records,
 * jobs-sweep.c publishes what was left) and for the mail outbox.  Two
 * others touch the table: files_create (files.c) inserts a thumbnail job
 * in the statement that records its file, so both exist or neither; and
 * the storage reconciler (common/services/storage-scan.c) reads the
 * reports' keys, since the service library cannot call the worker.
 *
 * Functions that return a PGresult return it on success (the caller
 * PQclear-s it) and NULL with *cause on failure.  All run on the calling
 * thread's connection (tres.h).
 */
#ifndef PFO3_JOBS_DB_H
#define PFO3_JOBS_DB_H

#include <stdint.h>

#include <libpq-fe.h>

struct workerd;

/*
 * Inserts a job: rows (id, 1) when made, (id, 0) when a job of
 * `dedup_key` (NULL: none) was committed before; no row when one was
 * committed while the statement ran (ask jobs_db_find_key).  `user` and
 * the others are decimal text; `user` NULL: no user.
 */
PGresult *jobs_db_insert(struct workerd *w, const char *type,
	    const char *user, const char *payload, const char *dedup_key,
	    char **cause);
/* The row (id, 0) of the job of `dedup_key`, or no row. */
PGresult *jobs_db_find_key(struct workerd *w, const char *dedup_key,
	    char **cause);

/* Marks the jobs of `ids` (a bigint[] literal: "{1,2}") published, those
 * not marked yet.  0, or -1 and *cause. */
int	jobs_db_published(struct workerd *w, const char *ids, char **cause);

/* Job `id` as the API shows it: type, status, attempts, worker, error,
 * result, user_id, created_at, updated_at (ISO 8601); no row: none. */
PGresult *jobs_db_get(struct workerd *w, const char *id, char **cause);

/*
 * Claims job `id` for `worker` (attempts + 1, 'running') unless it is
 * finished: the row (1, type, user_id, payload, attempts); (0, status)
 * when it is finished; no row when there is no such job.
 */
PGresult *jobs_db_claim(struct workerd *w, const char *id,
	    const char *worker, char **cause);

/* How an attempt ends, in the job's row. */
enum jobs_db_end {
	JOBS_DB_DONE,	/* `text` is the result: 'done', or 'running' while
			   its mail waits in the outbox (mail-outbox.h) */
	JOBS_DB_RETRY,	/* 'queued' again, `text` the error */
	JOBS_DB_FAILED,	/* 'failed' for good, `text` the error */
	JOBS_DB_LATER,	/* 'queued', the attempt not counted: a dependency
			   was down (`text`) */
};
/* Records the end of an attempt of job `id`; 0, or -1 and *cause. */
int	jobs_db_end(struct workerd *w, const char *id, enum jobs_db_end end,
	    const char *text, char **cause);

/*
 * Jobs committed but never published, older than the sweeper's grace:
 * with `lock`, at most a batch of (id, type) locked FOR UPDATE SKIP
 * LOCKED (inside the caller's transaction); without, one row at most,
 * to tell whether there is any.
 */
PGresult *jobs_db_unpublished(struct workerd *w, int lock, char **cause);

/*
 * Finishes the running jobs whose handler is done and whose mail is
 * settled: 'done', or 'failed' when a mail was given up.  `id` NULL: all
 * of them.  The command's result (PQcmdTuples: how many).
 */
PGresult *jobs_db_finish_mailed(struct workerd *w, const char *id,
	    char **cause);

/* The S3 key of the PDF of report job `id` of `user`; no row: none. */
PGresult *jobs_db_report_key(struct workerd *w, const char *id,
	    const char *user, char **cause);

/*
 * Compares the job types of the program (common/job-types.c) with the
 * rows of job_types.  A type of the program without a row is an error
 * (-1, *cause naming it and the fix): its jobs could not be stored.  A
 * row the program does not know (a newer release ran) is logged.  0 when
 * every type of the program has its row.
 */
int	jobs_db_check_types(struct workerd *w, char **cause);

#endif
