/*
 * jobs-sweep.c — the sweeper thread: publishes the jobs that were
 * committed but never published (the broker was down when they were
 * accepted, or their worker died in between); sends the mail of the
 * outbox that is due (mail-outbox.h); deletes expired idempotency keys.
 *
 * Every jobs.sweep_interval it looks for rows still 'queued' with
 * published_at NULL that are older than a grace (time for their own
 * worker's publish to finish; jobs_db_unpublished).  Those rows are
 * locked FOR UPDATE SKIP LOCKED inside a transaction, published with
 * confirms, marked published and committed: several workers sweeping at
 * once each take other rows, so none is published twice by sweepers.
 * (A publish that outlives the grace can still meet the sweeper's:
 * consumers skip the duplicate.)
 *
 * Only unpublished rows are swept.  A job whose message the broker
 * confirmed is in a durable queue, or in a retry delay that may
 * legitimately last hours, or on its way to a consumer; publishing it
 * again after some timeout would only add duplicates to a backlog.  An
 * operator who knows a message was lost (a purged queue) sets
 * published_at back to NULL, and the next sweep publishes it.
 *
 * The broker connection is made when a sweep has rows and closed after:
 * sweeps with work are rare, and a connection idle between them would
 * miss its heartbeats anyway.  It declares the topology first, so a
 * worker that consumes nothing still makes the queues its jobs need.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "broker.h"
#include "clock.h"
#include "db.h"
#include "idempotency.h"
#include "jobs-db.h"
#include "jobs-int.h"
#include "log.h"
#include "mail-outbox.h"
#include "storage.h"
#include "storage-tick.h"
#include "tres.h"
#include "workerd.h"
#include "xmalloc.h"

/* What the sweeper remembers between sweeps. */
struct jobs_sweeper {
	struct jobs	*j;
	struct workerd	*w;
	int		 failing;	/* the last sweep failed: said so */
};

/* Logs a failed sweep once, not every interval. */
static void
jobs_sweep_failed(struct jobs_sweeper *s, const char *what, const char *cause)
{
	if (!s->failing)
		log_warnx("sweeper: %s: %s (retrying every %lld ms)", what,
		    cause, (long long)s->w->conf.jobs.sweep_interval);
	s->failing = 1;
}

/* A statement of the sweep that failed with `cause` (freed): logged. */
static void
jobs_sweep_db_failed(struct jobs_sweeper *s, char *cause)
{
	jobs_sweep_failed(s, "database", cause);
	free(cause);
}

/* BEGIN or COMMIT; 0, or -1 after logging. */
static int
jobs_sweep_tx(struct jobs_sweeper *s, const char *sql)
{
	PGresult	*res;
	char		*cause = NULL;

	if ((res = tres_db_exec(s->w, sql, 0, NULL, &cause)) == NULL) {
		jobs_sweep_db_failed(s, cause);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* Publishes the locked rows of `res` until one fails; fills `ids` with
 * the published ones ("{1,2}") and returns how many. */
static int
jobs_sweep_publish(struct jobs_sweeper *s, struct broker *b, PGresult *res,
    char **ids)
{
	struct jobs	*j = s->j;
	char		 msg[64], *cause = NULL, *old;
	const char	*id, *type;
	size_t		 len;
	int		 i, n = 0;

	*ids = xstrdup("{");
	for (i = 0; i < PQntuples(res); i++) {
		id = PQgetvalue(res, i, 0);
		type = PQgetvalue(res, i, 1);
		len = jobs_message(msg, sizeof msg, strtoll(id, NULL, 10));
		atomic_fetch_add(&j->published, 1);
		if (broker_publish(b, BROKER_JOBS, type, msg, len,
		    "application/json", 1, &cause) != 0) {
			jobs_sweep_failed(s, "publish", cause);
			free(cause);
			break;
		}
		atomic_fetch_add(&j->confirmed, 1);
		atomic_fetch_add(&j->swept, 1);
		old = *ids;
		*ids = xasprintf("%s%s%s", old, n > 0 ? "," : "", id);
		free(old);
		n++;
	}
	old = *ids;
	*ids = xasprintf("%s}", old);
	free(old);
	return n;
}

/* One sweep. */
static void
jobs_sweep(struct jobs_sweeper *s)
{
	struct broker	*b;
	PGresult	*res;
	char		*cause = NULL, *ids = NULL, *name;
	int		 n, rows;

	/* A look without locks first: most sweeps end here. */
	if ((res = jobs_db_unpublished(s->w, 0, &cause)) == NULL) {
		jobs_sweep_db_failed(s, cause);
		return;
	}
	n = PQntuples(res);
	PQclear(res);
	if (n == 0) {
		s->failing = 0;
		return;
	}

	name = xasprintf("%s-sweeper", s->w->conf.worker.id);
	b = broker_connect(&s->w->conf.amqp, name, &cause);
	free(name);
	if (b == NULL || broker_declare_topology(b, &cause) != 0) {
		jobs_sweep_failed(s, "broker", cause);
		free(cause);
		if (b != NULL)
			broker_free(b);
		return;
	}

	if (jobs_sweep_tx(s, "BEGIN") != 0)
		goto out;
	if ((res = jobs_db_unpublished(s->w, 1, &cause)) == NULL) {
		jobs_sweep_db_failed(s, cause);
		goto out;
	}
	rows = PQntuples(res);
	n = jobs_sweep_publish(s, b, res, &ids);
	PQclear(res);
	if (n > 0 && jobs_db_published(s->w, ids, &cause) != 0) {
		jobs_sweep_db_failed(s, cause);
		goto out;
	}
	if (jobs_sweep_tx(s, "COMMIT") != 0)
		goto out;
	if (n > 0)
		log_info("sweeper: published %d queued jobs: %s", n, ids);
	if (n == rows)
		s->failing = 0;
out:
	/* Rolls back a transaction left open by a failure. */
	db_release();
	free(ids);
	broker_free(b);
}

/* The outbox's due mail, and the purge of expired idempotency keys. */
static void
jobs_sweep_others(struct jobs_sweeper *s)
{
	char	*cause = NULL;

	mail_outbox_drain(s->w);
	if (idem_purge(s->w, &cause) != 0) {
		jobs_sweep_failed(s, "idempotency keys", cause);
		free(cause);
	}
	db_release();
}

void *
jobs_sweep_main(void *arg)
{
	struct jobs_sweeper	 s;
	struct jobs		*j = arg;
	struct timespec		 ts;
	int64_t			 ms;

	memset(&s, 0, sizeof s);
	s.j = j;
	s.w = j->w;
	ms = s.w->conf.jobs.sweep_interval;
	pthread_mutex_lock(&j->lock);
	while (!atomic_load(&j->stop)) {
		clock_deadline(&ts, ms);
		/* Wakes for jobs coming back too: only time counts. */
		while (!atomic_load(&j->stop) &&
		    pthread_cond_timedwait(&j->wake, &j->lock, &ts) == 0)
			;
		if (atomic_load(&j->stop))
			break;
		pthread_mutex_unlock(&j->lock);
		jobs_sweep(&s);
		jobs_sweep_others(&s);
		storage_tick(s.w);	/* its own interval */
		pthread_mutex_lock(&j->lock);
	}
	pthread_mutex_unlock(&j->lock);
	/* The thread's database connection closes as it exits. */
	return NULL;
}
