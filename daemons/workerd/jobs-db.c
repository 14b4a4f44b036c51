/* jobs-db.c — see jobs-db.h. */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"
#include "job-types.h"
#include "jobs-db.h"
#include "log.h"
#include "tres.h"
#include "xmalloc.h"

/* An instant as the API shows it: ISO 8601 in UTC, to the second. */
#define JOBS_DB_ISO8601(e) \
	"to_char((" e ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Time for a job's own worker to finish its publish before a sweeper
 * takes it, and the most rows one sweep publishes. */
#define JOBS_DB_SWEEP_GRACE	"1 second"
#define JOBS_DB_SWEEP_BATCH	"100"
#define JOBS_DB_UNPUBLISHED \
	"SELECT id, type FROM jobs WHERE status = 'queued' AND published_at " \
	"IS NULL AND created_at < now() - interval '" JOBS_DB_SWEEP_GRACE "'"

/*
 * A condition that makes the commit of the statement it is part of not
 * wait for the disk (synchronous_commit off for its transaction alone),
 * for writes whose loss in a crash of PostgreSQL itself costs nothing:
 * the next synchronous commit of the session (the job's end) flushes them
 * anyway, and without it the job runs again.  It is evaluated on the row
 * the statement changes; a statement that changes none commits nothing.
 */
#define JOBS_DB_NO_FLUSH \
	"set_config('synchronous_commit', 'off', true) IS NOT NULL"

/* Runs a statement whose rows nobody reads; 0, or -1 and *cause. */
static int
jobs_db_command(struct workerd *w, int retry, const char *sql, int n,
    const char *const *params, char **cause)
{
	PGresult	*res;

	res = retry ? tres_db_exec_retry(w, sql, n, params, cause) :
	    tres_db_exec(w, sql, n, params, cause);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

PGresult *
jobs_db_insert(struct workerd *w, const char *type, const char *user,
    const char *payload, const char *dedup_key, char **cause)
{
	const char	*params[4] = { type, user, payload, dedup_key };

	/*
	 * The second SELECT finds a job of the key committed before this
	 * statement began; one committed while it ran is found by
	 * jobs_db_find_key.
	 */
	return tres_db_exec(w, "WITH i AS (INSERT INTO jobs (type, "
	    "user_id, payload, dedup_key) VALUES ($1, $2::bigint, $3::jsonb, "
	    "$4) ON CONFLICT (dedup_key) DO NOTHING RETURNING id) "
	    "SELECT id, 1 FROM i UNION ALL SELECT id, 0 FROM jobs WHERE "
	    "dedup_key = $4 AND NOT EXISTS (SELECT 1 FROM i)", 4, params,
	    cause);
}

PGresult *
jobs_db_find_key(struct workerd *w, const char *dedup_key, char **cause)
{
	const char	*params[1] = { dedup_key };

	return tres_db_exec_retry(w, "SELECT id, 0 FROM jobs WHERE "
	    "dedup_key = $1", 1, params, cause);
}

int
jobs_db_published(struct workerd *w, const char *ids, char **cause)
{
	const char	*params[1] = { ids };

	/* Safe to run twice; inside the sweeper's transaction it is not
	 * (db_exec_retry never runs a statement again there).  A mark lost
	 * in a crash only has the sweeper publish the job again, a
	 * duplicate that consumers skip: not worth a flush on the way to the
	 * client's 202. */
	return jobs_db_command(w, 1, "UPDATE jobs SET published_at = now() "
	    "WHERE id = ANY ($1::bigint[]) AND published_at IS NULL AND "
	    JOBS_DB_NO_FLUSH, 1, params, cause);
}

PGresult *
jobs_db_get(struct workerd *w, const char *id, char **cause)
{
	const char	*params[1] = { id };

	return tres_db_exec_retry(w, "SELECT type, status, attempts, worker, "
	    "error, result::text, user_id, " JOBS_DB_ISO8601("created_at")
	    ", " JOBS_DB_ISO8601("updated_at") " FROM jobs WHERE id = $1", 1,
	    params, cause);
}

PGresult *
jobs_db_claim(struct workerd *w, const char *id, const char *worker,
    char **cause)
{
	const char	*params[2] = { id, worker };

	/* A claim lost in a crash leaves the delivery unacked: it runs
	 * again.  The end's commit flushes it. */
	return tres_db_exec(w, "WITH c AS (UPDATE jobs SET status = "
	    "'running', worker = $2, attempts = attempts + 1 WHERE id = $1 AND "
	    "status IN ('queued', 'running') AND " JOBS_DB_NO_FLUSH " "
	    "RETURNING type, user_id, "
	    "payload::text, attempts) SELECT 1, type, user_id, payload, "
	    "attempts FROM c UNION ALL SELECT 0, status, NULL, NULL, 0 FROM "
	    "jobs WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM c)", 2, params,
	    cause);
}

int
jobs_db_end(struct workerd *w, const char *id, enum jobs_db_end end,
    const char *text, char **cause)
{
	const char	*params[2] = { id, text }, *sql = NULL;

	switch (end) {
	case JOBS_DB_DONE:
		/* Done once its effects are: a job whose mail still waits
		 * in the outbox stays running, with its result, and the
		 * send of that mail finishes it (mail-outbox.h). */
		sql = "UPDATE jobs SET status = CASE WHEN EXISTS (SELECT 1 "
		    "FROM mail_outbox WHERE job_id = $1 AND state = 'pending') "
		    "THEN 'running' ELSE 'done' END, result = $2::jsonb, "
		    "error = NULL WHERE id = $1";
		break;
	case JOBS_DB_RETRY:
		sql = "UPDATE jobs SET status = 'queued', error = $2 WHERE "
		    "id = $1";
		break;
	case JOBS_DB_FAILED:
		sql = "UPDATE jobs SET status = 'failed', error = $2 WHERE "
		    "id = $1";
		break;
	case JOBS_DB_LATER:
		sql = "UPDATE jobs SET status = 'queued', attempts = "
		    "greatest(attempts - 1, 0), error = $2 WHERE id = $1";
		break;
	}
	return jobs_db_command(w, 0, sql, 2, params, cause);
}

PGresult *
jobs_db_unpublished(struct workerd *w, int lock, char **cause)
{
	if (!lock)
		return tres_db_exec(w, JOBS_DB_UNPUBLISHED " LIMIT 1", 0, NULL,
		    cause);
	return tres_db_exec(w, JOBS_DB_UNPUBLISHED " ORDER BY id LIMIT "
	    JOBS_DB_SWEEP_BATCH " FOR UPDATE SKIP LOCKED", 0, NULL, cause);
}

PGresult *
jobs_db_finish_mailed(struct workerd *w, const char *id, char **cause)
{
	const char	*params[1] = { id };

	return tres_db_exec_retry(w, "UPDATE jobs j SET status = CASE WHEN "
	    "f.failed IS NULL THEN 'done' ELSE 'failed' END, error = f.failed "
	    "FROM (SELECT o.job_id, max(CASE WHEN o.state = 'failed' THEN "
	    "'mail not delivered: ' || coalesce(o.last_error, '') END) AS "
	    "failed, bool_or(o.state = 'pending') AS pending FROM mail_outbox "
	    "o WHERE ($1::bigint IS NULL OR o.job_id = $1::bigint) AND "
	    "o.job_id IN (SELECT id FROM jobs WHERE status = 'running') GROUP "
	    "BY o.job_id) f WHERE j.id = f.job_id AND NOT f.pending AND "
	    "j.status = 'running' AND j.result IS NOT NULL", 1, params, cause);
}

PGresult *
jobs_db_report_key(struct workerd *w, const char *id, const char *user,
    char **cause)
{
	const char	*params[3] = { id, user, job_types[JOB_REPORT] };

	return tres_db_exec_retry(w, "SELECT result->>'s3_key' FROM jobs "
	    "WHERE id = $1::bigint AND user_id = $2::bigint AND type = $3 AND "
	    "result->>'s3_key' IS NOT NULL", 3, params, cause);
}

/* Whether `name` is a value of column 0 of `res`. */
static int
jobs_db_has(const PGresult *res, const char *name)
{
	int	i;

	for (i = 0; i < PQntuples(res); i++) {
		if (strcmp(PQgetvalue(res, i, 0), name) == 0)
			return 1;
	}
	return 0;
}

int
jobs_db_check_types(struct workerd *w, char **cause)
{
	PGresult	*res;
	char		*err = NULL;
	int		 i;

	if ((res = tres_db_exec_retry(w, "SELECT name FROM job_types ORDER BY "
	    "name", 0, NULL, &err)) == NULL) {
		*cause = xasprintf("job types: %s", err);
		free(err);
		return -1;
	}
	for (i = 0; i < JOB_NTYPES; i++) {
		if (!jobs_db_has(res, job_types[i])) {
			*cause = xasprintf("job type '%s' (common/job-types.c) "
			    "has no row in the database's job_types table: "
			    "its jobs could not be stored; a migration must "
			    "insert it", job_types[i]);
			PQclear(res);
			return -1;
		}
	}
	for (i = 0; i < PQntuples(res); i++) {
		if (job_type_find(PQgetvalue(res, i, 0)) == -1)
			log_warnx("job type '%s' is in the database but not in "
			    "this program: a newer release ran on this "
			    "database", PQgetvalue(res, i, 0));
	}
	PQclear(res);
	return 0;
}
