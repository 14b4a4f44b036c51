/*
 * deps.c — see deps.h.
 *
 * One thread with its own connections (libpq, CURL and AMQP handles are
 * per thread).  PostgreSQL's latency is that of `SELECT 1` on a connection
 * kept open (db_ping, as the workers probe it); the connections in use
 * are counted in pg_stat_activity against max_connections.  RabbitMQ's
 * latency is the round trip of a passive queue declare, which also gives
 * each queue's ready messages and consumers; the management API, when
 * configured, adds the unacknowledged counts and the rates.
 *
 * Each dependency has a thread of its own and every client deadline of
 * its probe set to worker.probe_timeout, so a service that hangs delays
 * neither the others' results nor its own report: a probe still running
 * after probe_timeout reads as failed (deps_json), as in the workers.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "broker.h"
#include "clock.h"
#include "conf.h"
#include "db.h"
#include "deps.h"
#include "log.h"
#include "s3.h"
#include "thread.h"
#include "xmalloc.h"

enum { DEP_POSTGRES, DEP_S3, DEP_AMQP, DEP_COUNT };
static const char *const dep_names[DEP_COUNT] = { "postgres", "s3", "amqp" };

#define DEPS_MAX_QUEUES	16

struct dep_result {
	int		 checked;
	int		 ok;
	double		 latency_ms;
	char		 error[256];
	int64_t		 running_ms;	/* a probe began then; 0 idle */
};

struct deps;
struct dep_thread {
	struct deps	*d;
	int		 dep;
	pthread_t	 thread;
	int		 started;
};

struct deps {
	const struct pfo3_conf	*conf;
	/* The services' settings with every deadline at probe_timeout. */
	struct conf_postgres	 pg;
	struct conf_amqp	 mq;
	struct conf_s3		 s3conf;
	struct dep_thread	 t[DEP_COUNT];
	pthread_mutex_t		 lock;		/* guards what follows */
	pthread_cond_t		 wake;
	int			 stopping;
	struct dep_result	 r[DEP_COUNT];
	int64_t			 pg_used, pg_max;
	struct mq_queue		 q[DEPS_MAX_QUEUES];
	int			 nq;
	int			 unacked_known;	/* from the management API */
	char			 api_error[256];

	/* The thread's own. */
	struct s3		*s3;
	struct broker		*broker;
	struct mqapi		*api;
};

static void
deps_record(struct deps *d, int dep, int ok, double ms, const char *cause)
{
	struct dep_result *r = &d->r[dep];

	pthread_mutex_lock(&d->lock);
	if (!r->checked || r->ok != ok) {
		if (ok)
			log_info("%s reachable (%.1f ms)", dep_names[dep], ms);
		else
			log_warnx("%s unreachable: %s", dep_names[dep], cause);
	}
	r->checked = 1;
	r->ok = ok;
	r->latency_ms = ok ? ms : 0;
	snprintf(r->error, sizeof r->error, "%s", ok ? "" : cause);
	pthread_mutex_unlock(&d->lock);
}

static void
deps_postgres(struct deps *d)
{
	PGresult	*res;
	char		*cause = NULL;
	double		 ms = 0;
	int		 ok;

	ok = db_ping(&d->pg, &ms, &cause) == 0;
	deps_record(d, DEP_POSTGRES, ok, ms, cause);
	free(cause);
	if (!ok)
		return;
	cause = NULL;
	res = db_exec_retry(&d->pg, "SELECT count(*), "
	    "current_setting('max_connections')::int FROM pg_stat_activity "
	    "WHERE backend_type = 'client backend'", 0, NULL, &cause);
	if (res == NULL) {
		log_debug("postgres connections: %s", cause);
		free(cause);
		return;
	}
	pthread_mutex_lock(&d->lock);
	d->pg_used = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	d->pg_max = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	pthread_mutex_unlock(&d->lock);
	PQclear(res);
}

static void
deps_s3(struct deps *d)
{
	char	*cause = NULL;
	double	 ms = 0;
	int	 ok;

	if (d->s3 == NULL)
		d->s3 = s3_new(&d->s3conf, &cause);
	ok = d->s3 != NULL && s3_ping(d->s3, &ms, &cause) == 0;
	deps_record(d, DEP_S3, ok, ms, cause);
	free(cause);
}

/* The queues shown: one per job type, then the dead letters. */
static int
deps_queue_names(struct mq_queue *q, int max)
{
	const char *const	*t;
	int			 n = 0;

	for (t = broker_job_types; *t != NULL && n < max - 1; t++)
		snprintf(q[n++].name, sizeof q->name, "%s%s",
		    BROKER_QUEUE_PREFIX, *t);
	snprintf(q[n++].name, sizeof q->name, "%s", BROKER_DEAD_QUEUE);
	return n;
}

static void
deps_amqp(struct deps *d)
{
	struct mq_queue	 q[DEPS_MAX_QUEUES], api[64];
	char		*cause = NULL;
	uint32_t	 messages, consumers;
	int64_t		 t0;
	int		 n, i, j, napi, ok = 0;

	if (d->broker != NULL && !broker_alive(d->broker)) {
		broker_free(d->broker);
		d->broker = NULL;
	}
	t0 = clock_mono_us();
	if (d->broker == NULL)
		d->broker = broker_connect(&d->mq, "pfo3-ctld probe",
		    &cause);
	memset(q, 0, sizeof q);
	n = deps_queue_names(q, DEPS_MAX_QUEUES);
	if (d->broker != NULL) {
		t0 = clock_mono_us();
		ok = 1;
		for (i = 0; i < n && ok; i++) {
			if (broker_queue_depth(d->broker, q[i].name, &messages,
			    &consumers, &cause) == 0) {
				q[i].messages = messages;
				q[i].consumers = consumers;
			} else if (broker_alive(d->broker)) {
				/* Not declared yet: no worker ran. */
				free(cause);
				cause = NULL;
			} else
				ok = 0;
			if (i == 0)
				deps_record(d, DEP_AMQP, ok, (double)
				    (clock_mono_us() - t0) / 1000.0, cause);
		}
	}
	if (!ok) {
		deps_record(d, DEP_AMQP, 0, 0, cause != NULL ? cause :
		    "probe failed");
		free(cause);
		return;
	}
	free(cause);
	cause = NULL;

	napi = -1;
	if (d->api != NULL &&
	    (napi = mqapi_queues(d->api, api, 64, &cause)) == -1) {
		pthread_mutex_lock(&d->lock);
		if (strcmp(d->api_error, cause) != 0)
			log_warnx("rabbitmq management API: %s", cause);
		snprintf(d->api_error, sizeof d->api_error, "%s", cause);
		pthread_mutex_unlock(&d->lock);
		free(cause);
	}
	for (i = 0; i < n && napi > 0; i++)
		for (j = 0; j < napi; j++)
			if (strcmp(q[i].name, api[j].name) == 0) {
				q[i].unacked = api[j].unacked;
				q[i].in_s = api[j].in_s;
				q[i].out_s = api[j].out_s;
			}
	pthread_mutex_lock(&d->lock);
	memcpy(d->q, q, sizeof q);
	d->nq = n;
	d->unacked_known = napi >= 0;
	if (napi >= 0)
		d->api_error[0] = '\0';
	pthread_mutex_unlock(&d->lock);
}

static void *
deps_main(void *arg)
{
	struct dep_thread *t = arg;
	struct deps	*d = t->d;
	struct timespec	 until;

	for (;;) {
		pthread_mutex_lock(&d->lock);
		d->r[t->dep].running_ms = clock_mono_ms();
		pthread_mutex_unlock(&d->lock);
		if (t->dep == DEP_POSTGRES)
			deps_postgres(d);
		else if (t->dep == DEP_S3)
			deps_s3(d);
		else
			deps_amqp(d);
		/* Cleared after all of it: a later query that hangs (the
		 * connection count, the queue depths) is a hang too. */
		pthread_mutex_lock(&d->lock);
		d->r[t->dep].running_ms = 0;
		pthread_mutex_unlock(&d->lock);
		clock_deadline(&until, d->conf->ctld.interval);
		pthread_mutex_lock(&d->lock);
		while (!d->stopping && pthread_cond_timedwait(&d->wake,
		    &d->lock, &until) == 0)
			;
		if (d->stopping) {
			pthread_mutex_unlock(&d->lock);
			break;
		}
		pthread_mutex_unlock(&d->lock);
	}
	if (t->dep == DEP_AMQP && d->broker != NULL)
		broker_free(d->broker);
	if (t->dep == DEP_S3)
		s3_free(d->s3);
	if (t->dep == DEP_POSTGRES)
		db_close();
	return NULL;
}

struct deps *
deps_start(const struct pfo3_conf *conf, char **cause)
{
	struct deps	*d;
	int64_t		 limit = conf->worker.probe_timeout;
	int		 i;

	d = xcalloc(1, sizeof *d);
	d->conf = conf;
	d->pg = conf->postgres;
	d->pg.query_timeout = d->pg.connect_timeout = limit;
	d->mq = conf->amqp;
	d->mq.connect_timeout = d->mq.rpc_timeout = limit;
	d->s3conf = conf->s3;
	d->s3conf.connect_timeout = d->s3conf.timeout = limit;
	d->s3conf.retries = 0;
	if (*conf->ctld.rabbitmq_api != '\0') {
		const char *url = getenv("PFO3_AMQP_URL");

		d->api = mqapi_new(conf->ctld.rabbitmq_api,
		    url != NULL && *url != '\0' ? url : conf->amqp.url,
		    conf->amqp.rpc_timeout, cause);
		if (d->api == NULL) {
			free(d);
			return NULL;
		}
	}
	pthread_mutex_init(&d->lock, NULL);
	clock_cond_init(&d->wake);
	for (i = 0; i < DEP_COUNT; i++) {
		d->t[i].d = d;
		d->t[i].dep = i;
		if (thread_start(&d->t[i].thread, "deps", 0, deps_main,
		    &d->t[i], cause) != 0) {
			deps_stop(d);
			return NULL;
		}
		d->t[i].started = 1;
	}
	return d;
}

void
deps_stop(struct deps *d)
{
	int	 i;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_broadcast(&d->wake);
	pthread_mutex_unlock(&d->lock);
	for (i = 0; i < DEP_COUNT; i++)
		if (d->t[i].started)
			pthread_join(d->t[i].thread, NULL);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	mqapi_free(d->api);
	free(d);
}

static json_t *
deps_one(const struct dep_result *r)
{
	return json_pack("{s:b,s:b,s:f,s:o}", "checked", r->checked,
	    "ok", r->ok, "latency_ms", r->latency_ms,
	    "error", r->ok || !r->checked ? json_null() :
	    json_string(r->error));
}

json_t *
deps_json(struct deps *d)
{
	struct dep_result	 r[DEP_COUNT];
	json_t			*all = json_object(), *pg;
	int64_t			 used, max, now = clock_mono_ms();
	int64_t			 limit = d->conf->worker.probe_timeout;
	int			 i;

	pthread_mutex_lock(&d->lock);
	memcpy(r, d->r, sizeof r);
	used = d->pg_used;
	max = d->pg_max;
	pthread_mutex_unlock(&d->lock);
	for (i = 0; i < DEP_COUNT; i++) {
		if (r[i].running_ms != 0 && now - r[i].running_ms >= limit) {
			/* Overdue: whatever it waits for does not answer. */
			r[i].checked = 1;
			r[i].ok = 0;
			snprintf(r[i].error, sizeof r[i].error,
			    "no answer within %lld ms", (long long)limit);
		}
		json_object_set_new(all, dep_names[i], deps_one(&r[i]));
	}
	pg = json_object_get(all, "postgres");
	json_object_set_new(pg, "connections", json_pack("{s:I,s:I}",
	    "used", (json_int_t)used, "max", (json_int_t)max));
	return all;
}

json_t *
deps_queues(struct deps *d, int64_t *jobs_queued)
{
	struct mq_queue	 q[DEPS_MAX_QUEUES];
	json_t		*a = json_array(), *one;
	int		 n, i, known, dead;

	pthread_mutex_lock(&d->lock);
	memcpy(q, d->q, sizeof q);
	n = d->nq;
	known = d->unacked_known;
	pthread_mutex_unlock(&d->lock);
	*jobs_queued = 0;
	for (i = 0; i < n; i++) {
		dead = strcmp(q[i].name, BROKER_DEAD_QUEUE) == 0;
		if (!dead)
			*jobs_queued += q[i].messages;
		one = json_pack("{s:s,s:I,s:I,s:I,s:f,s:f,s:b}",
		    "name", q[i].name,
		    "messages", (json_int_t)q[i].messages,
		    "unacked", (json_int_t)q[i].unacked,
		    "consumers", (json_int_t)q[i].consumers,
		    "in_s", q[i].in_s, "out_s", q[i].out_s,
		    "dead_letter", dead);
		if (!known)
			json_object_set_new(one, "unacked", json_null());
		json_array_append_new(a, one);
	}
	return a;
}
