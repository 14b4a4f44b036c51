/*
 * probe.c — see probe.h.
 *
 * One thread per dependency, each with its own connections: probing must
 * never take a pool thread (a saturated pool would then look like a dead
 * database) nor the event thread (a hanging dependency would freeze every
 * connection), and a dependency that hangs must not hold up the probes of
 * the others.  Each probe runs with every client deadline set to
 * worker.probe_timeout, so the thread comes back about then; until it
 * does, readers see the overrun as a failure (probe_read).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "broker.h"
#include "clock.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "probe.h"
#include "s3.h"
#include "thread.h"
#include "xmalloc.h"

struct probe;

struct probe_slot {
	struct probe		*p;
	enum probe_dep		 dep;
	pthread_t		 thread;
	int			 started;	/* the thread exists */
	struct probe_result	 result;	/* guarded by p->lock */
	int64_t			 running_ms;	/* a probe began then; 0 idle */
};

struct probe {
	const struct pfo3_conf	*conf;
	pthread_mutex_t		 lock;		/* guards slots, stopping */
	pthread_cond_t		 wake;
	int			 stopping;
	struct probe_slot	 slot[PROBE_COUNT];
	struct s3		*s3;		/* the S3 thread's own client */
};

static const char *const probe_names[PROBE_COUNT] = {
	[PROBE_POSTGRES] = "postgres",
	[PROBE_AMQP] = "amqp",
	[PROBE_S3] = "s3",
	[PROBE_SMTP] = "smtp",
};

const char *
probe_name(enum probe_dep dep)
{
	return probe_names[dep];
}

/*
 * The relay greets and answers EHLO: libcurl's connect-only mode stops
 * right after the protocol's own handshake, so no mail is sent.
 */
static int
probe_smtp(const struct conf_smtp *c, int64_t timeout_ms, double *ms,
    char **cause)
{
	char	 errbuf[CURL_ERROR_SIZE] = "";
	CURL	*curl;
	CURLcode rc;
	double	 t = 0;

	if ((curl = curl_easy_init()) == NULL) {
		*cause = xstrdup("curl_easy_init failed");
		return -1;
	}
	curl_easy_setopt(curl, CURLOPT_URL, c->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &t);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK) {
		*cause = xasprintf("SMTP relay: %s", *errbuf != '\0' ? errbuf :
		    curl_easy_strerror(rc));
		return -1;
	}
	*ms = t * 1000.0;
	return 0;
}

/* Runs one dependency's probe with every deadline at probe_timeout;
 * returns 0 or -1 with *cause. */
static int
probe_one(struct probe *p, enum probe_dep dep, double *ms, char **cause)
{
	const struct pfo3_conf *conf = p->conf;
	int64_t limit = conf->worker.probe_timeout;
	struct conf_postgres pg;
	struct conf_amqp mq;
	struct conf_s3 s3;

	switch (dep) {
	case PROBE_POSTGRES:
		pg = conf->postgres;
		pg.query_timeout = limit;
		pg.connect_timeout = limit;
		return db_ping(&pg, ms, cause);
	case PROBE_AMQP:
		mq = conf->amqp;
		mq.connect_timeout = limit;
		mq.rpc_timeout = limit;
		return broker_ping(&mq, ms, cause);
	case PROBE_S3:
		if (p->s3 == NULL) {
			s3 = conf->s3;
			s3.connect_timeout = limit;
			s3.timeout = limit;	/* no progress for that long */
			s3.retries = 0;
			if ((p->s3 = s3_new(&s3, cause)) == NULL)
				return -1;
		}
		return s3_ping(p->s3, ms, cause);
	case PROBE_SMTP:
		return probe_smtp(&conf->smtp, limit, ms, cause);
	default:
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
		ok = probe_one(p, s->dep, &ms, &cause) == 0;
		probe_record(s, ok, ms, cause != NULL ? cause : "probe failed");
		free(cause);

		clock_deadline(&until, p->conf->worker.probe_interval);
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
	if (s->dep == PROBE_S3 && p->s3 != NULL)
		s3_free(p->s3);
	if (s->dep == PROBE_POSTGRES)
		db_close();
	return NULL;
}

struct probe *
probe_start(const struct pfo3_conf *conf, char **cause)
{
	struct probe *p;
	int i;

	p = xcalloc(1, sizeof *p);
	p->conf = conf;
	pthread_mutex_init(&p->lock, NULL);
	clock_cond_init(&p->wake);
	for (i = 0; i < PROBE_COUNT; i++) {
		p->slot[i].p = p;
		p->slot[i].dep = i;
		if (thread_start(&p->slot[i].thread, "probe", 0, probe_main,
		    &p->slot[i], cause) != 0) {
			probe_stop(p);
			return NULL;
		}
		p->slot[i].started = 1;
	}
	return p;
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
	int64_t now = clock_mono_ms(), limit = p->conf->worker.probe_timeout;
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
