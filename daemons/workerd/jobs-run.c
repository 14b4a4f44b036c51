/*
 * jobs-run.c — one delivery on a pool thread: the row decides whether
 * the job runs, the type's handler runs it, the row records the outcome,
 * and the consumer thread is told how to answer the message.
 *
 * Delivery is at least once: a message may come twice (the sweeper and a
 * slow publish, a crash between a retry's publish and its ack) and comes
 * again when the connection that delivered it dies.  So:
 *
 *  - A finished row (done, failed) makes a delivery a no-op: acked.
 *  - While a job runs, its worker holds a PostgreSQL advisory lock on the
 *    job's id (session level, on the pool thread's own connection, so it
 *    vanishes with a crashed worker or a lost connection).  A delivery
 *    that finds the lock taken is a duplicate while the job runs
 *    elsewhere: a fresh message is acked (the running one has its own
 *    message, unacked until it finishes), a redelivered one goes back to
 *    the queue for later (it may be the running job's own message, whose
 *    worker lost its broker connection: if that run fails, this message
 *    is the only one left to retry it).
 *  - A free lock on a row still 'running' means its worker died: the job
 *    is taken over.
 *
 * The lock is released after the row records the outcome and before the
 * consumer answers the message, so a retry's copy never finds it taken.
 * The key is the job id itself (pg_try_advisory_lock(bigint)); the only
 * other advisory lock of the system, the migrations', is a constant far
 * beyond any id.
 *
 * A job whose handler is done but whose mail waits in the outbox
 * (mail-outbox.h) keeps 'running' with its result; its delivery is acked,
 * and the send of the mail makes it 'done'.
 *
 * A database that fails as an outage (no connection, SQLSTATE classes 08,
 * 40, 53, 57, 58) sends the message back to its queue: the job is neither
 * lost nor marked failed.  Any other database error is a fault that would
 * repeat: the job fails.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"
#include "jobs-db.h"
#include "jobs-int.h"
#include "log.h"
#include "tres.h"
#include "workerd.h"
#include "xmalloc.h"

/* The row's state once claimed. */
struct jobs_row {
	int64_t		 id;
	char		 sid[32];
	int		 type;
	int64_t		 user_id;
	int		 attempts;
	json_t		*payload;
	int		 backend;	/* the session that holds the lock */
};

/* Records how the job's delivery is to be answered, and why (copied;
 * may be NULL). */
static void
jobs_answer_set(struct jobs_job *job, enum jobs_answer answer,
    const char *reason)
{
	char	*copy;

	copy = reason != NULL ? xstrdup(reason) : NULL;
	free(job->reason);
	job->reason = copy;
	job->answer = answer;
}

int
jobs_db_outage(void)
{
	static const char *const classes[] = { "08", "40", "53", "57", "58" };
	const char	*s = db_last_sqlstate();
	size_t		 i;

	if (*s == '\0')
		return 1;
	for (i = 0; i < sizeof classes / sizeof classes[0]; i++) {
		if (strncmp(s, classes[i], 2) == 0)
			return 1;
	}
	return 0;
}

/* The job id of a message {"job_id":N}, or -1. */
static int64_t
jobs_message_id(const struct broker_delivery *d)
{
	json_error_t	 jerr;
	json_t		*msg, *v;
	int64_t		 id = -1;

	msg = json_loadb(d->body, d->len, JSON_REJECT_DUPLICATES, &jerr);
	if (msg != NULL && (v = json_object_get(msg, "job_id")) != NULL &&
	    json_is_integer(v) && json_integer_value(v) > 0)
		id = json_integer_value(v);
	json_decref(msg);
	return id;
}

/* Runs a one-row query on the thread's connection; "t"/"f" → 1/0, -1. */
static int
jobs_bool(struct workerd *w, const char *sql, const char *sid, int retry,
    char **cause)
{
	const char	*params[1] = { sid };
	PGresult	*res;
	int		 v;

	res = retry ? tres_db_exec_retry(w, sql, 1, params, cause) :
	    tres_db_exec(w, sql, 1, params, cause);
	if (res == NULL)
		return -1;
	v = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return v;
}

/* The backend of the thread's session, or 0 when it has none. */
static int
jobs_backend(struct workerd *w)
{
	PGconn	*conn;
	char	*cause = NULL;

	if ((conn = db_conn(tres_pg(w), &cause)) == NULL) {
		free(cause);
		return 0;
	}
	return PQbackendPID(conn);
}

/* Releases the lock of the claimed row, unless the session that held it
 * is gone (and the lock with it). */
static void
jobs_unlock(struct workerd *w, const struct jobs_row *row)
{
	char	*cause = NULL;

	if (jobs_backend(w) != row->backend)
		return;
	if (jobs_bool(w, "SELECT pg_advisory_unlock($1::bigint)", row->sid, 0,
	    &cause) == -1) {
		/* A session that may still hold the lock is not kept. */
		log_warnx("job %s: cannot release its lock (%s): closing the "
		    "database session", row->sid, cause);
		free(cause);
		db_close();
	}
}

/*
 * Claims the row for this worker.  1 with `row` filled; 0 when the
 * delivery is answered without running (job->answer set); the lock is
 * held only on 1.
 */
static int
jobs_claim(struct workerd *w, struct jobs_job *job, struct jobs_row *row)
{
	struct jobs_counters	*n = NULL;
	PGresult		*res;
	char			*cause = NULL;
	int			 got;

	if (job->type != -1)
		n = &job->j->count[job->type];
	got = jobs_bool(w, "SELECT pg_try_advisory_lock($1::bigint)", row->sid,
	    1, &cause);
	if (got == -1) {
		jobs_answer_set(job, JOBS_ANSWER_REQUEUE, cause);
		log_warnx("job %s: %s: back to the queue", row->sid, cause);
		free(cause);
		return 0;
	}
	if (got == 0) {
		log_debug("job %s runs elsewhere: %s", row->sid,
		    job->d.redelivered ? "later" : "duplicate skipped");
		if (job->d.redelivered)
			jobs_answer_set(job, JOBS_ANSWER_REQUEUE, NULL);
		else {
			jobs_answer_set(job, JOBS_ANSWER_ACK, NULL);
			if (n != NULL)
				atomic_fetch_add(&n->skipped, 1);
		}
		return 0;
	}

	row->backend = jobs_backend(w);
	if ((res = jobs_db_claim(w, row->sid, w->conf.worker.id,
	    &cause)) == NULL) {
		jobs_answer_set(job, jobs_db_outage() ? JOBS_ANSWER_REQUEUE :
		    JOBS_ANSWER_DEAD, cause);
		log_warnx("job %s: %s", row->sid, cause);
		free(cause);
		jobs_unlock(w, row);
		return 0;
	}
	if (PQntuples(res) == 0) {
		jobs_answer_set(job, JOBS_ANSWER_DEAD, "no such job");
		log_warnx("job %s does not exist: delivery dead-lettered",
		    row->sid);
	} else if (strcmp(PQgetvalue(res, 0, 0), "0") == 0) {
		log_debug("job %s is %s already: delivery skipped", row->sid,
		    PQgetvalue(res, 0, 1));
		jobs_answer_set(job, JOBS_ANSWER_ACK, NULL);
		if (n != NULL)
			atomic_fetch_add(&n->skipped, 1);
	} else {
		row->type = jobs_type_find(PQgetvalue(res, 0, 1));
		if (!PQgetisnull(res, 0, 2))
			row->user_id = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
		row->payload = jobs_json_parse(PQgetvalue(res, 0, 3));
		row->attempts = atoi(PQgetvalue(res, 0, 4));
		PQclear(res);
		return 1;
	}
	PQclear(res);
	jobs_unlock(w, row);
	return 0;
}

/* Records the job's outcome in its row; 0, or -1 after setting the
 * answer for a database that failed. */
static int
jobs_record(struct workerd *w, struct jobs_job *job, struct jobs_row *row,
    enum jobs_db_end end, const char *text)
{
	char		*cause = NULL;

	if (jobs_db_end(w, row->sid, end, text, &cause) == 0)
		return 0;
	log_warnx("job %s: %s", row->sid, cause);
	jobs_answer_set(job, jobs_db_outage() ? JOBS_ANSWER_REQUEUE :
	    JOBS_ANSWER_DEAD, cause);
	free(cause);
	return -1;
}

/* A failed attempt: back to 'queued' for a retry, or 'failed' for good. */
static void
jobs_failed(struct workerd *w, struct jobs_job *job, struct jobs_row *row,
    int fatal, const char *why)
{
	int	final;

	if (row->type != -1)
		atomic_fetch_add(&job->j->count[row->type].failed, 1);
	final = fatal || row->attempts > jobs_type_retries(w, row->type);
	log_warnx("job %s failed (attempt %d%s): %s", row->sid, row->attempts,
	    final ? ", the last" : "", why);
	if (jobs_record(w, job, row, final ? JOBS_DB_FAILED : JOBS_DB_RETRY,
	    why) != 0)
		return;
	job->attempt = row->attempts;
	jobs_answer_set(job, final ? JOBS_ANSWER_DEAD : JOBS_ANSWER_RETRY, why);
}

/* Runs the claimed job and records what came of it. */
static void
jobs_execute(struct workerd *w, struct jobs_job *job, struct jobs_row *row)
{
	struct jobs_ctx		 ctx;
	enum jobs_result	 r;
	json_t			*result = NULL;
	char			*cause = NULL, *text, *why;

	if (row->type == -1 || jobs_types[row->type].run == NULL) {
		jobs_failed(w, job, row, 1, "this worker has no handler for "
		    "the job's type");
		return;
	}
	if (row->payload == NULL) {
		jobs_failed(w, job, row, 1, "the job's payload is not JSON");
		return;
	}
	memset(&ctx, 0, sizeof ctx);
	ctx.id = row->id;
	ctx.user_id = row->user_id;
	ctx.attempt = row->attempts;
	ctx.payload = row->payload;
	ctx.stages = &job->stages;
	r = jobs_types[row->type].run(w, &ctx, &result, &cause);
	switch (r) {
	case JOBS_DONE:
		text = json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(result);
		if (text == NULL) {
			jobs_failed(w, job, row, 1, "the result cannot be "
			    "encoded");
			break;
		}
		/* Done once its effects are: a job whose mail still waits
		 * in the outbox stays running (jobs_db_end). */
		if (jobs_record(w, job, row, JOBS_DB_DONE, text) == 0) {
			atomic_fetch_add(&job->j->count[row->type].processed, 1);
			jobs_answer_set(job, JOBS_ANSWER_ACK, NULL);
			jobs_stage(&job->stages, "end");
			log_debug("job %s done (attempt %d), ms:%s", row->sid,
			    row->attempts, job->stages.text);
		} else if (job->answer == JOBS_ANSWER_DEAD) {
			/* Not an outage: the row refuses the result. */
			why = xasprintf("cannot store the result: %s",
			    job->reason);
			jobs_failed(w, job, row, 1, why);
			free(why);
		}
		free(text);
		break;
	case JOBS_FAIL:
	case JOBS_FATAL:
		jobs_failed(w, job, row, r == JOBS_FATAL,
		    cause != NULL ? cause : "unknown error");
		break;
	case JOBS_UNAVAILABLE:
		log_warnx("job %s: %s: back to the queue", row->sid, cause);
		/* Best effort: the attempt does not count. */
		if (jobs_record(w, job, row, JOBS_DB_LATER,
		    cause != NULL ? cause : "unavailable") == 0)
			jobs_answer_set(job, JOBS_ANSWER_REQUEUE, cause);
		else
			jobs_answer_set(job, JOBS_ANSWER_REQUEUE, NULL);
		break;
	}
	free(cause);
}

void
jobs_run(void *arg)
{
	struct jobs_job	*job = arg;
	struct jobs	*j = job->j;
	struct workerd	*w = j->w;
	struct jobs_row	 row;

	/* Not started when stopping: the broker gets it back on close. */
	job->answer = JOBS_ANSWER_NONE;
	jobs_stages_begin(&job->stages, job->received_us);
	jobs_stage(&job->stages, "wait");
	if (!atomic_load(&j->stop)) {
		memset(&row, 0, sizeof row);
		row.type = -1;
		if ((row.id = jobs_message_id(&job->d)) == -1) {
			log_warnx("delivery %" PRIu64 " on '%s' is not a job "
			    "message: dead-lettered", job->d.tag,
			    job->d.routing_key);
			jobs_answer_set(job, JOBS_ANSWER_DEAD,
			    "not a job message");
		} else {
			snprintf(row.sid, sizeof row.sid, "%" PRId64, row.id);
			if (jobs_claim(w, job, &row)) {
				jobs_stage(&job->stages, "claim");
				jobs_execute(w, job, &row);
				jobs_unlock(w, &row);
			}
			json_decref(row.payload);
		}
		db_release();
		/* Freed image and page buffers: the consumer gives them
		 * back once it is idle (jobs-consume.c). */
		if (row.type == JOB_THUMBNAIL || row.type == JOB_REPORT)
			atomic_store(&j->trim, 1);
	}
	atomic_fetch_sub(&j->running, 1);
	pthread_mutex_lock(&j->lock);
	TAILQ_INSERT_TAIL(&j->done, job, entry);
	j->nrunning--;
	pthread_cond_broadcast(&j->wake);
	pthread_mutex_unlock(&j->lock);
}
