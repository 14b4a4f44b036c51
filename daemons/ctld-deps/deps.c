/*
 * deps.c — see deps.h.
 *
 * The probes are the workers' (probe.h): a thread per dependency, every
 * client deadline at worker.probe_timeout, an overrun read as a failure.
 * What pfo3-ctld adds runs on those threads after a good probe (deps_extra),
 * so a query that hangs there is a hang of the dependency too: the
 * connections in use, counted in pg_stat_activity against max_connections,
 * on the PostgreSQL thread's own connection; each job queue's ready
 * messages and consumers, by passive declares on a RabbitMQ connection the
 * AMQP thread keeps; and, when the management API is configured, the
 * unacknowledged counts and the rates.
 */
#include <pthread.h>
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
#include "probe.h"
#include "xmalloc.h"

#define DEPS_MAX_QUEUES	16

struct deps {
	struct probe		*probe;
	pthread_mutex_t		 lock;		/* guards what follows */
	int64_t			 pg_used, pg_max;
	struct mq_queue		 q[DEPS_MAX_QUEUES];
	int			 nq;
	int			 unacked_known;	/* from the management API */
	char			 api_error[256];

	/* The AMQP probe thread's own. */
	struct broker		*broker;
	struct mqapi		*api;
};

/* The connections in use; a failure here is only logged: PostgreSQL
 * answered, and the count is a detail. */
static int
deps_postgres(struct deps *d, const struct conf_postgres *pg)
{
	PGresult	*res;
	char		*cause = NULL;

	res = db_exec_retry(pg, "SELECT count(*), "
	    "current_setting('max_connections')::int FROM pg_stat_activity "
	    "WHERE backend_type = 'client backend'", 0, NULL, &cause);
	if (res == NULL) {
		log_debug("postgres connections: %s", cause);
		free(cause);
		return 0;
	}
	pthread_mutex_lock(&d->lock);
	d->pg_used = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	d->pg_max = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	pthread_mutex_unlock(&d->lock);
	PQclear(res);
	return 0;
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

/* Each queue's depth; -1 + *cause when the connection is lost. */
static int
deps_amqp(struct deps *d, const struct conf_amqp *mq, char **cause)
{
	struct mq_queue	 q[DEPS_MAX_QUEUES], api[64];
	char		*why = NULL;
	uint32_t	 messages, consumers;
	int		 n, i, j, napi;

	if (d->broker != NULL && !broker_alive(d->broker)) {
		broker_free(d->broker);
		d->broker = NULL;
	}
	if (d->broker == NULL &&
	    (d->broker = broker_connect(mq, "pfo3-ctld probe", cause)) == NULL)
		return -1;
	memset(q, 0, sizeof q);
	n = deps_queue_names(q, DEPS_MAX_QUEUES);
	for (i = 0; i < n; i++) {
		if (broker_queue_depth(d->broker, q[i].name, &messages,
		    &consumers, cause) == 0) {
			q[i].messages = messages;
			q[i].consumers = consumers;
		} else if (broker_alive(d->broker)) {
			/* Not declared yet: no worker ran. */
			free(*cause);
			*cause = NULL;
		} else
			return -1;
	}

	napi = -1;
	if (d->api != NULL &&
	    (napi = mqapi_queues(d->api, api, 64, &why)) == -1) {
		pthread_mutex_lock(&d->lock);
		if (strcmp(d->api_error, why) != 0)
			log_warnx("rabbitmq management API: %s", why);
		snprintf(d->api_error, sizeof d->api_error, "%s", why);
		pthread_mutex_unlock(&d->lock);
		free(why);
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
	return 0;
}

/* Runs on a probe thread after a good probe of `dep` (probe.h). */
static int
deps_extra(enum probe_dep dep, const struct probe_conf *pc, void *arg,
    char **cause)
{
	struct deps	*d = arg;

	if (dep == PROBE_POSTGRES)
		return deps_postgres(d, &pc->postgres);
	if (dep == PROBE_AMQP)
		return deps_amqp(d, &pc->amqp, cause);
	return 0;
}

struct deps *
deps_start(const struct pfo3_conf *conf, char **cause)
{
	struct probe_opts	 o = { .deps = PROBE_BIT(PROBE_POSTGRES) |
	    PROBE_BIT(PROBE_S3) | PROBE_BIT(PROBE_AMQP),
	    .interval = conf->ctld.interval, .extra = deps_extra };
	struct deps		*d;

	d = xcalloc(1, sizeof *d);
	if (*conf->ctld.rabbitmq_api != '\0') {
		d->api = mqapi_new(conf->ctld.rabbitmq_api, &conf->amqp,
		    conf->amqp.rpc_timeout, cause);
		if (d->api == NULL) {
			free(d);
			return NULL;
		}
	}
	pthread_mutex_init(&d->lock, NULL);
	o.arg = d;
	if ((d->probe = probe_start_opts(conf, &o, cause)) == NULL) {
		deps_stop(d);
		return NULL;
	}
	return d;
}

void
deps_stop(struct deps *d)
{
	if (d == NULL)
		return;
	/* The threads first: they use the rest. */
	probe_stop(d->probe);
	broker_free(d->broker);
	mqapi_free(d->api);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

json_t *
deps_json(struct deps *d)
{
	json_t	*all, *pg;
	int64_t	 used, max;

	all = probe_json(d->probe);
	pthread_mutex_lock(&d->lock);
	used = d->pg_used;
	max = d->pg_max;
	pthread_mutex_unlock(&d->lock);
	if ((pg = json_object_get(all, "postgres")) != NULL)
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
