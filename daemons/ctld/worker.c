/*
 * worker.c — the workers pfo3-ctld knows: local ones it spawns, remote
 * ones registered by address; their states and what their stats say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "adopt.h"
#include "clock.h"
#include "ctld.h"
#include "log.h"
#include "net.h"
#include "wlink.h"
#include "xmalloc.h"

struct worker *
worker_find(struct ctld *c, const char *id)
{
	struct worker *w;

	TAILQ_FOREACH(w, &c->workers, entry)
		if (strcmp(w->id, id) == 0)
			return w;
	return NULL;
}

struct worker *
worker_find_addr(struct ctld *c, const char *addr)
{
	struct worker *w;

	TAILQ_FOREACH(w, &c->workers, entry)
		if (strcmp(w->addr, addr) == 0)
			return w;
	return NULL;
}

/* The lowest N whose wN is free, so removed numbers are reused. */
static int
worker_free_number(struct ctld *c)
{
	char	id[16];
	int	n;

	for (n = 1;; n++) {
		snprintf(id, sizeof id, "w%d", n);
		if (worker_find(c, id) == NULL)
			return n;
	}
}

static struct worker *
worker_alloc(struct ctld *c, int n)
{
	struct worker *w;

	w = xcalloc(1, sizeof *w);
	w->ctld = c;
	w->n = n;
	snprintf(w->id, sizeof w->id, "w%d", n);
	/* Every worker is born starting; lifecycle_apply moves it on. */
	w->state = WS_STARTING;
	w->state_ms = clock_mono_ms();
	w->backoff_ms = c->conf.workers.restart_min;
	ring_init(&w->busy, (int)c->conf.ctld.history, 1);
	TAILQ_INSERT_TAIL(&c->workers, w, entry);
	c->nworkers++;
	return w;
}

struct worker *
worker_new_local(struct ctld *c, char **cause)
{
	return worker_new_local_n(c, worker_free_number(c), cause);
}

/* Local worker wN, whose number is free (adoption picks it). */
struct worker *
worker_new_local_n(struct ctld *c, int n, char **cause)
{
	const struct conf_workers	*cw = &c->conf.workers;
	struct worker			*w;
	int				 port;

	if (c->nworkers >= c->conf.ctld.max_workers) {
		*cause = xasprintf("already %d workers (ctld.max_workers)",
		    c->nworkers);
		return NULL;
	}
	port = (int)cw->base_port + n - 1;
	if (port > 65535 || (cw->agent_base_port != 0 &&
	    cw->agent_base_port + n - 1 > 65535)) {
		*cause = xasprintf("w%d would listen past port 65535 "
		    "(workers.base_port)", n);
		return NULL;
	}
	w = worker_alloc(c, n);
	w->local = 1;
	snprintf(w->addr, sizeof w->addr, "%s:%d", cw->address, port);
	if (cw->agent_base_port != 0)
		w->agent_port = (int)cw->agent_base_port + n - 1;
	w->control = conf_expand_id(c->conf.worker.control, w->id);
	/* Before its pid file is known, which worker_free would remove. */
	w->link = wlink_new(c->base, w->control,
	    (size_t)c->conf.control.max_line, (int)c->conf.ctld.interval);
	if (w->link == NULL) {
		*cause = xstrdup("event_new failed");
		worker_free(w);
		return NULL;
	}
	w->pid_file = conf_expand_id(cw->pid_file, w->id);
	return w;
}

struct worker *
worker_new_remote(struct ctld *c, const char *addr, char **cause)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct worker		*w;

	if (c->nworkers >= c->conf.ctld.max_workers) {
		*cause = xasprintf("already %d workers (ctld.max_workers)",
		    c->nworkers);
		return NULL;
	}
	if (strlen(addr) >= CTLD_ADDR_MAX ||
	    net_parse_addr(addr, &ss, &sslen, cause) == -1) {
		if (*cause == NULL)
			*cause = xstrdup("address too long");
		return NULL;
	}
	if (worker_find_addr(c, addr) != NULL) {
		*cause = xasprintf("%s is already a worker", addr);
		return NULL;
	}
	w = worker_alloc(c, worker_free_number(c));
	snprintf(w->addr, sizeof w->addr, "%s", addr);
	return w;
}

void
worker_free(struct worker *w)
{
	struct ctld *c = w->ctld;

	TAILQ_REMOVE(&c->workers, w, entry);
	c->nworkers--;
	if (w->restart_ev != NULL)
		event_free(w->restart_ev);
	if (w->check_ev != NULL)
		event_free(w->check_ev);
	adopt_unwatch(w);
	wlink_free(w->link);
	/* Leaving on SIGQUIT, the pid file of a running worker stays for
	 * the next pfo3-ctld. */
	if (w->pid_file != NULL && *w->pid_file != '\0' &&
	    !(c->leaving && w->pid != 0))
		unlink(w->pid_file);
	free(w->pid_file);
	free(w->control);
	ring_free(&w->busy);
	free(w);
}

void
worker_write_pid(struct worker *w)
{
	FILE *f;

	if (*w->pid_file == '\0')
		return;
	if ((f = fopen(w->pid_file, "w")) == NULL) {
		log_warn("%s: pid file %s", w->id, w->pid_file);
		return;
	}
	fprintf(f, "%ld\n", (long)w->pid);
	fclose(f);
}

static int
stats_int(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_is_integer(v) ? (int)json_integer_value(v) : 0;
}

static int64_t
stats_int64(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static double
stats_real(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_is_number(v) ? json_number_value(v) : 0.0;
}

/* Reads a worker's `stats` reply (or heartbeat) and derives the rates. */
void
worker_stats_update(struct worker *w, const json_t *o)
{
	struct wstats	 s;
	const json_t	*deps, *dep;
	const char	*name;
	double		 dt;
	size_t		 len;

	memset(&s, 0, sizeof s);
	s.valid = 1;
	s.at_ms = clock_mono_ms();
	s.pid = stats_int(o, "pid", NULL);
	s.threads_total = stats_int(o, "threads", "total");
	s.threads_busy = stats_int(o, "threads", "busy");
	s.queue_len = stats_int(o, "queue", "length");
	s.queue_cap = stats_int(o, "queue", "capacity");
	s.inflight = stats_int(o, "inflight", NULL);
	s.jobs_running = stats_int(o, "jobs", "running");
	s.draining = json_is_true(json_object_get(o, "draining")) ||
	    json_is_true(json_object_get(o, "stopping"));
	s.uptime_s = stats_int64(o, "uptime_s", NULL);
	s.requests = stats_int64(o, "requests", "total");
	s.errors = stats_int64(o, "requests", "errors");
	s.p50_ms = stats_real(o, "latency_ms", "p50");
	s.p99_ms = stats_real(o, "latency_ms", "p99");
	s.deps_ok = s.deps_checked = 1;
	deps = json_object_get(o, "deps");
	json_object_foreach((json_t *)deps, name, dep) {
		if (!json_is_true(json_object_get(dep, "checked"))) {
			s.deps_checked = s.deps_ok = 0;
			continue;
		}
		if (json_is_true(json_object_get(dep, "ok")))
			continue;
		s.deps_ok = 0;
		len = strlen(s.degraded);
		if (len + strlen(name) + 2 <= sizeof s.degraded)
			snprintf(s.degraded + len, sizeof s.degraded - len,
			    "%s%s", len > 0 ? "," : "", name);
	}

	if (w->st.valid && s.at_ms > w->st.at_ms && s.requests >= w->st.requests
	    && s.pid == w->st.pid) {
		dt = (double)(s.at_ms - w->st.at_ms) / 1000.0;
		w->req_s = (double)(s.requests - w->st.requests) / dt;
		w->errors_s = (double)(s.errors - w->st.errors) / dt;
	} else {
		w->req_s = w->errors_s = 0;
	}
	w->prev = w->st;
	w->st = s;
}

/* A remote worker's heartbeat: its stats and its liveness (the caller
 * tells the lifecycle it is ready). */
void
worker_remote_beat(struct worker *w, const json_t *stats, int64_t recv_ms)
{
	worker_stats_update(w, stats);
	w->beat_ms = recv_ms;
}
