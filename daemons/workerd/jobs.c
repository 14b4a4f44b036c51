/*
 * jobs.c — see jobs.h: the job types, accepting jobs, reading them back,
 * and starting and stopping the consumer (jobs-consume.c) and the sweeper
 * (jobs-sweep.c).
 *
 * Accepting a job commits its row first and publishes second: a worker
 * that dies in between leaves a row with published_at NULL, which the
 * sweeper of any worker publishes.  The other order could leave a message
 * for a row that never was.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "broker.h"
#include "clock.h"
#include "db.h"
#include "jobs.h"
#include "jobs-db.h"
#include "jobs-int.h"
#include "log.h"
#include "probe.h"
#include "tres.h"
#include "workerd.h"
#include "thread.h"
#include "xmalloc.h"

/* What this worker does with each type of common/job-types.c. */
const struct jobs_type jobs_types[JOBS_NTYPES] = {
	[JOB_REPORT] =	  { jobs_report,	NULL,		JOBS_RETRIES_CONF },
	[JOB_THUMBNAIL] = { jobs_thumb,		NULL,		JOBS_RETRIES_CONF },
	[JOB_TASK] =	  { jobs_task,		jobs_task_show,	JOBS_RETRIES_CONF },
};

int
jobs_type_retries(const struct workerd *w, int type)
{
	int	conf = (int)w->conf.amqp.max_retries;

	/* Never more than amqp.max_retries: past it, the broker's retry
	 * (broker_retry) dead-letters the message whatever the type. */
	if (type < 0 || jobs_types[type].retries == JOBS_RETRIES_CONF ||
	    jobs_types[type].retries > conf)
		return conf;
	return jobs_types[type].retries;
}

size_t
jobs_message(char *buf, size_t len, int64_t id)
{
	int	n;

	n = snprintf(buf, len, "{\"job_id\":%" PRId64 "}", id);
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

/* Turns reals that hold a small whole number back into integers. */
static void
jobs_json_ints(json_t *v)
{
	const char	*key;
	json_t		*e;
	size_t		 i;
	double		 d;

	if (json_is_object(v)) {
		json_object_foreach(v, key, e) {
			if (json_is_real(e)) {
				d = json_real_value(e);
				if (d == (double)(int64_t)d && d < 9007199254740992.0 &&
				    d > -9007199254740992.0)
					json_object_set_new(v, key,
					    json_integer((json_int_t)d));
			} else
				jobs_json_ints(e);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			jobs_json_ints(e);
	}
}

/*
 * PostgreSQL prints a jsonb number without an exponent: a real result
 * such as 1e300 comes back as 301 digits, which jansson refuses as an
 * integer out of range.  Such a text is read again with every number as
 * a real, and then the numbers that were small integers (ids, counts)
 * are made integers again.  Seed results beyond 2^53 are strings, so a
 * huge bare number was a real to begin with.
 */
json_t *
jobs_json_parse(const char *text)
{
	json_error_t	 jerr;
	json_t		*v;

	if ((v = json_loads(text, JSON_DECODE_ANY, &jerr)) != NULL)
		return v;
	if ((v = json_loads(text, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
	    &jerr)) == NULL)
		return NULL;
	jobs_json_ints(v);
	return v;
}

int
jobs_start(struct workerd *w, char **cause)
{
	struct jobs	*j;
	int		 i, handlers = 0;

	j = xcalloc(1, sizeof *j);
	j->w = w;
	pthread_mutex_init(&j->lock, NULL);
	clock_cond_init(&j->wake);
	TAILQ_INIT(&j->done);
	w->jobs = j;
	for (i = 0; i < JOBS_NTYPES; i++)
		handlers += jobs_types[i].run != NULL;

	if (w->conf.worker.job_threads > 0 && handlers > 0) {
		if (thread_start(&j->consumer, "jobs-consume", 0,
		    jobs_consume_main, j, cause) != 0)
			goto fail;
		j->has_consumer = 1;
	} else
		log_info("worker.job_threads is 0: not consuming jobs");
	if (thread_start(&j->sweeper, "jobs-sweep", 0, jobs_sweep_main, j,
	    cause) != 0)
		goto fail;
	j->has_sweeper = 1;
	return 0;

fail:
	jobs_stop(w);
	return -1;
}

int
jobs_hold(struct workerd *w, int on)
{
	struct jobs	*j = w->jobs;

	if (j == NULL || !j->has_consumer)
		return -1;
	pthread_mutex_lock(&j->lock);
	atomic_store(&j->held, on != 0);
	pthread_cond_broadcast(&j->wake);
	pthread_mutex_unlock(&j->lock);
	log_info("job consumer %s", on ? "held" : "released");
	return 0;
}

void
jobs_stop(struct workerd *w)
{
	struct jobs	*j = w->jobs;
	struct jobs_job	*job;

	if (j == NULL)
		return;
	pthread_mutex_lock(&j->lock);
	j->stop_deadline_ms = clock_mono_ms() + w->conf.worker.shutdown_timeout;
	atomic_store(&j->stop, 1);
	pthread_cond_broadcast(&j->wake);
	pthread_mutex_unlock(&j->lock);
	if (j->has_sweeper)
		pthread_join(j->sweeper, NULL);
	if (j->has_consumer)
		pthread_join(j->consumer, NULL);

	/*
	 * Jobs the consumer stopped waiting for still run on the pool, and
	 * end by handing their delivery back here: wait for them (the pool
	 * would wait for them anyway).  Their messages went back to the
	 * broker with the connection; a redelivery finds the row finished.
	 */
	pthread_mutex_lock(&j->lock);
	while (j->nrunning > 0)
		pthread_cond_wait(&j->wake, &j->lock);
	while ((job = TAILQ_FIRST(&j->done)) != NULL) {
		TAILQ_REMOVE(&j->done, job, entry);
		broker_delivery_clear(&job->d);
		free(job->reason);
		free(job);
	}
	pthread_mutex_unlock(&j->lock);

	pthread_cond_destroy(&j->wake);
	pthread_mutex_destroy(&j->lock);
	free(j);
	w->jobs = NULL;
}

int64_t
jobs_submit(struct workerd *w, const char *type, int64_t user_id,
    const json_t *payload, const char *dedup_key, char **cause)
{
	PGresult	*res;
	char		 uid[32], *text;
	int64_t		 id;
	int		 made;

	if ((text = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY)) ==
	    NULL) {
		*cause = xstrdup("the job's payload cannot be encoded");
		return -1;
	}
	snprintf(uid, sizeof uid, "%" PRId64, user_id);
	res = jobs_db_insert(w, type, user_id > 0 ? uid : NULL, text,
	    dedup_key, cause);
	if (res != NULL && PQntuples(res) == 0) {
		/* Committed while the insert ran (a concurrent insert of
		 * the key, which the idempotency lock makes all but
		 * impossible). */
		PQclear(res);
		res = jobs_db_find_key(w, dedup_key, cause);
		if (res != NULL && PQntuples(res) == 0) {
			PQclear(res);
			*cause = xstrdup("the job of this key vanished");
			res = NULL;
		}
	}
	free(text);
	if (res == NULL)
		return -1;
	id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	made = strcmp(PQgetvalue(res, 0, 1), "1") == 0;
	PQclear(res);
	if (made)
		jobs_publish(w, id, type);
	else
		log_info("job %" PRId64 " (%s) exists for key %s: not made "
		    "again", id, type, dedup_key);
	return id;
}

void
jobs_publish(struct workerd *w, int64_t id, const char *type)
{
	struct jobs		*j = w->jobs;
	struct jobs_stages	 st;
	char			 sid[32], msg[64], reason[256], *why = NULL;
	size_t			 len;

	jobs_stages_begin(&st, 0);
	len = jobs_message(msg, sizeof msg, id);
	/* The broker failed its last probe: do not wait on it; the row is
	 * the outbox, and the sweeper publishes it once the broker is back. */
	if (w->probe != NULL && probe_down(w->probe, PROBE_BIT(PROBE_AMQP),
	    reason, sizeof reason) != -1) {
		log_info("job %" PRId64 " (%s) is queued, left to the sweeper: "
		    "RabbitMQ unavailable (%s)", id, type, reason);
		return;
	}
	if (j != NULL)
		atomic_fetch_add(&j->published, 1);
	if (tres_publish(w, BROKER_JOBS, type, msg, len, &why) != 0) {
		log_warnx("job %" PRId64 " (%s) is queued but not published, "
		    "left to the sweeper: %s", id, type, why);
		free(why);
		return;
	}
	if (j != NULL)
		atomic_fetch_add(&j->confirmed, 1);
	jobs_stage(&st, "publish");

	snprintf(sid, sizeof sid, "{%" PRId64 "}", id);
	if (jobs_db_published(w, sid, &why) != 0) {
		/* The sweeper publishes it again: a duplicate that consumers
		 * recognise and skip. */
		log_warnx("job %" PRId64 " published, but not marked so: %s",
		    id, why);
		free(why);
	}
	jobs_stage(&st, "mark");
	log_debug("job %" PRId64 " (%s) queued, ms:%s", id, type, st.text);
}

/* A text column as a JSON string, or null when SQL NULL. */
static json_t *
jobs_text(const PGresult *res, int col)
{
	if (PQgetisnull(res, 0, col))
		return json_null();
	return json_string(PQgetvalue(res, 0, col));
}

json_t *
jobs_get(struct workerd *w, int64_t id, int64_t *user_id, int *found,
    char **cause)
{
	PGresult	*res;
	json_t		*job, *result = NULL;
	char		 sid[32];
	int		 t;

	*found = 0;
	*user_id = 0;
	snprintf(sid, sizeof sid, "%" PRId64, id);
	if ((res = jobs_db_get(w, sid, cause)) == NULL) {
		*found = 1;
		return NULL;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		*cause = xstrdup("no such job");
		return NULL;
	}
	*found = 1;
	if (!PQgetisnull(res, 0, 6))
		*user_id = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
	if (!PQgetisnull(res, 0, 5) &&
	    (result = jobs_json_parse(PQgetvalue(res, 0, 5))) == NULL)
		log_warnx("job %" PRId64 ": its result is not JSON", id);
	t = jobs_type_find(PQgetvalue(res, 0, 0));
	if (result != NULL && t != -1 && jobs_types[t].show != NULL)
		result = jobs_types[t].show(result);
	job = json_pack("{s:I,s:s,s:s,s:i,s:o,s:o,s:o,s:s,s:s}",
	    "id", (json_int_t)id,
	    "type", PQgetvalue(res, 0, 0),
	    "status", PQgetvalue(res, 0, 1),
	    "attempts", atoi(PQgetvalue(res, 0, 2)),
	    "worker", jobs_text(res, 3),
	    "error", jobs_text(res, 4),
	    "result", result != NULL ? result : json_null(),
	    "created_at", PQgetvalue(res, 0, 7),
	    "updated_at", PQgetvalue(res, 0, 8));
	PQclear(res);
	if (job == NULL)
		*cause = xstrdup("cannot encode the job");
	return job;
}
