/*
 * probe.c — see probe.h.
 *
 * One thread, its own connections: probing must never take a pool thread
 * (a saturated pool would then look like a dead database) nor the event
 * thread (a hanging dependency would freeze every connection).  Each probe
 * is bounded by the dependency's own timeout from pfo3.conf.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker.h"
#include "clock.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "probe.h"
#include "s3.h"
#include "xmalloc.h"

struct probe {
	const struct pfo3_conf	*conf;
	pthread_t		 thread;
	pthread_mutex_t		 lock;		/* guards result, stopping */
	pthread_cond_t		 wake;
	int			 stopping;
	struct probe_result	 result[PROBE_COUNT];
	struct s3		*s3;		/* the thread's own client */
};

static const char *const probe_names[PROBE_COUNT] = {
	[PROBE_POSTGRES] = "postgres",
	[PROBE_AMQP] = "amqp",
	[PROBE_S3] = "s3",
};

const char *
probe_name(enum probe_dep dep)
{
	return probe_names[dep];
}

/* Runs one dependency's probe; returns 0 or -1 with *cause. */
static int
probe_one(struct probe *p, enum probe_dep dep, double *ms, char **cause)
{
	switch (dep) {
	case PROBE_POSTGRES:
		return db_ping(&p->conf->postgres, ms, cause);
	case PROBE_AMQP:
		return broker_ping(&p->conf->amqp, ms, cause);
	case PROBE_S3:
		if (p->s3 == NULL &&
		    (p->s3 = s3_new(&p->conf->s3, cause)) == NULL)
			return -1;
		return s3_head_bucket(p->s3, ms, cause);
	default:
		return -1;
	}
}

/* Records a result, logging only changes so a long outage is one line. */
static void
probe_record(struct probe *p, enum probe_dep dep, int ok, double ms,
    const char *cause)
{
	struct probe_result *r = &p->result[dep];

	pthread_mutex_lock(&p->lock);
	if (!r->checked || r->ok != ok) {
		r->since_ms = clock_mono_ms();
		if (ok)
			log_info("%s reachable (%.1f ms)", probe_names[dep], ms);
		else
			log_warnx("%s unreachable: %s", probe_names[dep], cause);
	}
	r->checked = 1;
	r->ok = ok;
	r->latency_ms = ms;
	snprintf(r->error, sizeof r->error, "%s", ok ? "" : cause);
	if (!ok)
		r->failures++;
	pthread_mutex_unlock(&p->lock);
}

static void *
probe_main(void *arg)
{
	struct probe *p = arg;
	struct timespec until;
	int64_t interval = p->conf->worker.probe_interval;
	char *cause;
	double ms;
	int dep, ok;

	for (;;) {
		for (dep = 0; dep < PROBE_COUNT; dep++) {
			cause = NULL;
			ms = 0;
			ok = probe_one(p, dep, &ms, &cause) == 0;
			probe_record(p, dep, ok, ms, cause != NULL ? cause :
			    "probe failed");
			free(cause);
		}
		clock_deadline(&until, interval);
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
	if (p->s3 != NULL)
		s3_free(p->s3);
	return NULL;
}

struct probe *
probe_start(const struct pfo3_conf *conf, char **cause)
{
	struct probe *p;
	sigset_t all, old;
	int error;

	p = xcalloc(1, sizeof *p);
	p->conf = conf;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	error = pthread_create(&p->thread, NULL, probe_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		*cause = xasprintf("pthread_create: %s", strerror(error));
		free(p);
		return NULL;
	}
	return p;
}

void
probe_stop(struct probe *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void
probe_read(struct probe *p, struct probe_result *out)
{
	pthread_mutex_lock(&p->lock);
	memcpy(out, p->result, sizeof p->result);
	pthread_mutex_unlock(&p->lock);
}

int
probe_all_ok(struct probe *p)
{
	struct probe_result r[PROBE_COUNT];
	int i;

	probe_read(p, r);
	for (i = 0; i < PROBE_COUNT; i++)
		if (!r[i].checked || !r[i].ok)
			return 0;
	return 1;
}

json_t *
probe_json(struct probe *p)
{
	struct probe_result r[PROBE_COUNT];
	json_t *all = json_object(), *one;
	int i;

	probe_read(p, r);
	for (i = 0; i < PROBE_COUNT; i++) {
		one = json_pack("{s:b,s:b,s:f,s:I}", "checked", r[i].checked,
		    "ok", r[i].ok, "latency_ms", r[i].latency_ms,
		    "failures", (json_int_t)r[i].failures);
		if (r[i].error[0] != '\0')
			json_object_set_new(one, "error",
			    json_string(r[i].error));
		json_object_set_new(all, probe_names[i], one);
	}
	return all;
}
