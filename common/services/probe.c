/*
 * probe.c — see probe.h.
 *
 * One thread per dependency, each with its own connections: probing must
 * never take a pool thread (a saturated pool would then look like a dead
 * database) nor an event thread (a hanging dependency would freeze every
 * connection), and a dependency that hangs must not hold up the probes of
 * the others.  Each probe runs with every client deadline set to
 * worker.probe_timeout, so the thread comes back about then; until it
 * does, readers see the overrun as a failure (probe_read).
 *
 * The probes: PostgreSQL `SELECT 1` on a connection of the thread's own
 * (db_ping), S3 a HEAD of the bucket on a client kept by the thread
 * (s3_ping), RabbitMQ a fresh connection and channel (broker_ping), the
 * SMTP relay its greeting and EHLO (mail_ping).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker.h"
#include "clock.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "mail.h"
#include "probe.h"
#include "s3.h"
#include "thread.h"
#include "xmalloc.h"

struct probe_slot {
	struct probe		*p;
	enum probe_dep		 dep;
	pthread_t		 thread;
	int			 started;	/* the thread exists */
	struct probe_result	 result;	/* guarded by p->lock */
	int64_t			 running_ms;	/* a probe began then; 0 idle */
	struct s3		*s3;		/* PROBE_S3's own client */
};

struct probe {
	struct probe_conf	 pc;
	struct probe_opts	 o;
	pthread_mutex_t		 lock;		/* guards slots, stopping */
	pthread_cond_t		 wake;
	int			 stopping;
	struct probe_slot	 slot[PROBE_COUNT];
};

static const char *const probe_names[PROBE_COUNT] = {
	[PROBE_POSTGRES] = "postgres",
	[PROBE_S3] = "s3",
	[PROBE_AMQP] = "amqp",
	[PROBE_SMTP] = "smtp",
};

const char *
probe_name(enum probe_dep dep)
{
	return probe_names[dep];
}

/* Every client deadline at `limit`, no retries: a probe answers by then. */
static void
probe_conf_init(struct probe_conf *pc, const struct pfo3_conf *conf)
{
	int64_t limit = conf->worker.probe_timeout;

	pc->timeout = limit;
	pc->postgres = conf->postgres;
	pc->postgres.query_timeout = limit;
	pc->postgres.connect_timeout = limit;
	pc->amqp = conf->amqp;
	pc->amqp.connect_timeout = limit;
	pc->amqp.rpc_timeout = limit;
	pc->s3 = conf->s3;
	pc->s3.connect_timeout = limit;
	pc->s3.timeout = limit;		/* no progress for that long */
	pc->s3.retries = 0;
	pc->smtp = conf->smtp;
}

/* Runs one probe of the slot's dependency; 0 or -1 with *cause. */
static int
probe_one(struct probe_slot *s, double *ms, char **cause)
{
	const struct probe_conf *pc = &s->p->pc;

	switch (s->dep) {
	case PROBE_POSTGRES:
		return db_ping(&pc->postgres, ms, cause);
	case PROBE_S3:
		if (s->s3 == NULL && (s->s3 = s3_new(&pc->s3, cause)) == NULL)
			return -1;
		return s3_ping(s->s3, ms, cause);
	case PROBE_AMQP:
		return broker_ping(&pc->amqp, ms, cause);
	case PROBE_SMTP:
		return mail_ping(&pc->smtp, pc->timeout, ms, cause);
	default:
		*cause = xstrdup("no such dependency");
		return -1;
	}
}

/* Records a result, logging only changes so a long outage is one line. */
static void
probe_record(struct probe_slot *s, int ok, double ms, const char *cause)
{
	struct probe_result *r = &s->result;

	pthread_mutex_lock(&s->p->lock);
	s->running_ms = 0;
	if (!r->checked || r->ok != ok) {
		r->since_ms = clock_mono_ms();
		if (ok)
			log_info("%s reachable (%.1f ms)", probe_names[s->dep],
			    ms);
		else
			log_warnx("%s unreachable: %s", probe_names[s->dep],
			    cause);
	}
	r->checked = 1;
	r->ok = ok;
	r->latency_ms = ms;
	snprintf(r->error, sizeof r->error, "%s", ok ? "" : cause);
	if (!ok)
		r->failures++;
	pthread_mutex_unlock(&s->p->lock);
}

static void *
probe_main(void *arg)
{
	struct probe_slot *s = arg;
	struct probe *p = s->p;
	struct timespec until;
	char *cause;
	double ms;
	int ok;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		s->running_ms = clock_mono_ms();
		pthread_mutex_unlock(&p->lock);
		cause = NULL;
		ms = 0;
		ok = probe_one(s, &ms, &cause) == 0;
		/* The extra work counts as the probe's: a query that hangs
		 * after a good ping is a hang too. */
		if (ok && p->o.extra != NULL)
			ok = p->o.extra(s->dep, &p->pc, p->o.arg, &cause) == 0;
		probe_record(s, ok, ms, cause != NULL ? cause : "probe failed");
		free(cause);

		clock_deadline(&until, p->o.interval);
		pthread_mutex_lock(&p->lock);
		while (!p->stopping && pthread_cond_timedwait(&p->wake,
		    &p->lock, &until) == 0)
			;
		if (p->stopping) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		pthread_mutex_unlock(&p->lock);
	}
	s3_free(s->s3);
	if (s->dep == PROBE_POSTGRES)
		db_close();
	return NULL;
}

struct probe *
probe_start_opts(const struct pfo3_conf *conf, const struct probe_opts *o,
    char **cause)
{
	struct probe *p;
	int i;

	p = xcalloc(1, sizeof *p);
	probe_conf_init(&p->pc, conf);
	p->o = *o;
	pthread_mutex_init(&p->lock, NULL);
	clock_cond_init(&p->wake);
	for (i = 0; i < PROBE_COUNT; i++) {
		p->slot[i].p = p;
		p->slot[i].dep = i;
		if (!(o->deps & PROBE_BIT(i)))
			continue;
		if (thread_start(&p->slot[i].thread, "probe", 0, probe_main,
		    &p->slot[i], cause) != 0) {
			probe_stop(p);
			return NULL;
		}
		p->slot[i].started = 1;
	}
	return p;
}

struct probe *
probe_start(const struct pfo3_conf *conf, char **cause)
{
	struct probe_opts o = { .deps = PROBE_ALL,
	    .interval = conf->worker.probe_interval };

	return probe_start_opts(conf, &o, cause);
}

void
probe_stop(struct probe *p)
{
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < PROBE_COUNT; i++)
		if (p->slot[i].started)
			pthread_join(p->slot[i].thread, NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void
probe_read(struct probe *p, struct probe_result *out)
{
	int64_t now = clock_mono_ms(), limit = p->pc.timeout;
	int64_t running;
	int i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < PROBE_COUNT; i++) {
		out[i] = p->slot[i].result;
		running = p->slot[i].running_ms;
		if (running == 0 || now - running < limit)
			continue;
		/* Overdue: whatever it waits for does not answer. */
		if (out[i].ok || !out[i].checked)
			out[i].since_ms = running + limit;
		out[i].checked = 1;
		out[i].ok = 0;
		out[i].latency_ms = (double)(now - running);
		snprintf(out[i].error, sizeof out[i].error,
		    "no answer within %lld ms", (long long)limit);
	}
	pthread_mutex_unlock(&p->lock);
}

int
probe_down(struct probe *p, unsigned mask, char *why, size_t len)
{
	struct probe_result r[PROBE_COUNT];
	int i;

	if (mask == 0)
		return -1;
	probe_read(p, r);
	for (i = 0; i < PROBE_COUNT; i++) {
		if (!(mask & PROBE_BIT(i)) || !r[i].checked || r[i].ok)
			continue;
		snprintf(why, len, "%s", r[i].error);
		return i;
	}
	return -1;
}

json_t *
probe_degraded(struct probe *p)
{
	struct probe_result r[PROBE_COUNT];
	json_t *a = json_array();
	int i;

	probe_read(p, r);
	for (i = 0; i < PROBE_COUNT; i++)
		if (r[i].checked && !r[i].ok)
			json_array_append_new(a, json_string(probe_names[i]));
	return a;
}

json_t *
probe_json(struct probe *p)
{
	struct probe_result r[PROBE_COUNT];
	json_t *all = json_object();
	int i;

	probe_read(p, r);
	for (i = 0; i < PROBE_COUNT; i++) {
		if (!(p->o.deps & PROBE_BIT(i)))
			continue;
		json_object_set_new(all, probe_names[i], json_pack(
		    "{s:b,s:b,s:f,s:I,s:o}", "checked", r[i].checked,
		    "ok", r[i].ok, "latency_ms", r[i].latency_ms,
		    "failures", (json_int_t)r[i].failures,
		    "error", r[i].error[0] != '\0' ?
		    json_string(r[i].error) : json_null()));
	}
	return all;
}
