/*
 * status-model.c — a status object of pfo3-ctld into struct model.
 *
 * Every field is read with a default: a client must keep working against
 * a ctld that adds, drops or retypes a field, and one odd worker must not
 * blank the whole screen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl-field.h"
#include "ctl-fmt.h"
#include "status-model.h"
#include "xmalloc.h"

/* The dependencies in the order the console lists them; others follow. */
static const char *const model_dep_order[] = {
	"postgres", "s3", "amqp", "haproxy",
};
#define MODEL_NDEP_ORDER \
	(sizeof model_dep_order / sizeof model_dep_order[0])

void
model_init(struct model *m)
{
	memset(m, 0, sizeof *m);
}

/* A copy of the string at `path`, or of `dflt` (NULL stays NULL). */
static char *
model_str(const json_t *obj, const char *path, const char *dflt)
{
	const char	*s = ctl_field_str(obj, path, dflt);

	return s != NULL ? xstrdup(s) : NULL;
}

/* The strings of the array at `path` (others are left out). */
static void
model_names(const json_t *obj, const char *path, char ***out, size_t *n)
{
	json_t	*arr = ctl_field(obj, path), *v;
	size_t	 i;

	*out = NULL;
	*n = 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return;
	*out = xcalloc(json_array_size(arr), sizeof **out);
	json_array_foreach(arr, i, v)
		if (json_is_string(v))
			(*out)[(*n)++] = xstrdup(json_string_value(v));
}

/* A number that may not be negative; MODEL_NONE when missing or bad. */
static double
model_num(const json_t *obj, const char *path)
{
	double	 v = ctl_field_num(obj, path, MODEL_NONE);

	return v < 0 ? MODEL_NONE : v;
}

/* Keeps the newest MODEL_HISTORY numbers of the array at `path`. */
static void
model_series(struct model_series *s, const json_t *obj, const char *path)
{
	json_t	*arr = ctl_field(obj, path), *v;
	size_t	 n, i, first;

	s->n = 0;
	if (!json_is_array(arr))
		return;
	n = json_array_size(arr);
	first = n > MODEL_HISTORY ? n - MODEL_HISTORY : 0;
	for (i = first; i < n; i++) {
		v = json_array_get(arr, i);
		s->v[s->n++] = json_is_number(v) && json_number_value(v) >= 0 ?
		    json_number_value(v) : 0;
	}
}

static void
model_worker(struct model_worker *w, const json_t *o, size_t index)
{
	json_t	*pid = json_object_get(o, "pid");

	w->id = model_str(o, "id", NULL);
	if (w->id == NULL)
		w->id = xasprintf("#%zu", index + 1);
	w->addr = model_str(o, "addr", "-");
	w->state = model_str(o, "state", "-");
	w->lb_status = model_str(o, "lb.status", "");
	w->last_error = model_str(o, "last_error", NULL);
	model_names(o, "degraded", &w->degraded, &w->ndegraded);
	w->pid = json_is_integer(pid) ? (long)json_integer_value(pid) : -1;
	w->local = ctl_field_bool(o, "local", w->pid > 0);
	w->busy = model_num(o, "threads.busy");
	w->threads = model_num(o, "threads.total");
	w->queue = model_num(o, "queue.length");
	w->queue_cap = model_num(o, "queue.capacity");
	w->inflight = model_num(o, "inflight");
	w->jobs_running = model_num(o, "jobs_running");
	w->req_s = model_num(o, "req_s");
	w->errors_s = model_num(o, "errors_s");
	w->p50 = model_num(o, "latency_ms.p50");
	w->p99 = model_num(o, "latency_ms.p99");
	w->restarts = model_num(o, "restarts");
	w->uptime_s = model_num(o, "uptime_s");
	w->lb_sessions = model_num(o, "lb.sessions");
	model_series(&w->busy_hist, o, "history.busy");
}

static void
model_queue(struct model_queue *q, const json_t *o, size_t index)
{
	q->name = model_str(o, "name", NULL);
	if (q->name == NULL)
		q->name = xasprintf("#%zu", index + 1);
	q->messages = model_num(o, "messages");
	q->unacked = model_num(o, "unacked");
	q->consumers = model_num(o, "consumers");
	q->in_s = model_num(o, "in_s");
	q->out_s = model_num(o, "out_s");
	q->dead_letter = ctl_field_bool(o, "dead_letter", 0);
}

static void
model_dep(struct model_dep *d, const char *name, const json_t *o)
{
	json_t	*ok = json_object_get(o, "ok");

	d->name = xstrdup(name);
	d->ok = json_is_boolean(ok) ? json_is_true(ok) : -1;
	d->latency_ms = model_num(o, "latency_ms");
	d->conn_used = model_num(o, "connections.used");
	d->conn_max = model_num(o, "connections.max");
	d->error = model_str(o, "error", NULL);
}

static void
model_deps(struct model *m, const json_t *deps)
{
	const char	*key;
	json_t		*v;
	size_t		 i, n;

	if (!json_is_object(deps))
		return;
	n = json_object_size(deps);
	m->deps = xcalloc(n, sizeof *m->deps);
	for (i = 0; i < MODEL_NDEP_ORDER; i++) {
		v = json_object_get(deps, model_dep_order[i]);
		if (json_is_object(v))
			model_dep(&m->deps[m->ndeps++], model_dep_order[i], v);
	}
	json_object_foreach((json_t *)deps, key, v) {
		for (i = 0; i < MODEL_NDEP_ORDER; i++)
			if (strcmp(key, model_dep_order[i]) == 0)
				break;
		if (i == MODEL_NDEP_ORDER && json_is_object(v) && m->ndeps < n)
			model_dep(&m->deps[m->ndeps++], key, v);
	}
}

static void
model_events(struct model *m, const json_t *arr)
{
	json_t	*e;
	size_t	 n, i, first;

	if (!json_is_array(arr))
		return;
	n = json_array_size(arr);
	first = n > MODEL_EVENTS ? n - MODEL_EVENTS : 0;
	m->events = xcalloc(n - first, sizeof *m->events);
	for (i = first; i < n; i++) {
		e = json_array_get(arr, i);
		if (json_is_string(e)) {
			/* A bare sentence is an event without a time. */
			m->events[m->nevents].time = 0;
			m->events[m->nevents++].text =
			    xstrdup(json_string_value(e));
		} else if (json_is_object(e)) {
			m->events[m->nevents].time = ctl_field_num(e, "time", 0);
			m->events[m->nevents++].text = model_str(e, "text", "");
		}
	}
}

int
model_apply(struct model *m, const json_t *status, char **cause)
{
	struct model	 n;
	json_t		*arr, *pid;
	size_t		 i;

	if (!json_is_object(status)) {
		*cause = xstrdup("the status is not a JSON object");
		return -1;
	}
	if (!json_is_true(json_object_get(status, "ok"))) {
		*cause = xasprintf("ctld answered with an error: %s",
		    ctl_field_str(status, "error", "(no error text)"));
		return -1;
	}
	arr = json_object_get(status, "workers");
	if (!json_is_array(arr)) {
		*cause = xstrdup("the status has no \"workers\" list");
		return -1;
	}

	model_init(&n);
	n.valid = 1;
	n.time = ctl_field_num(status, "time", 0);
	n.interval_ms = model_num(status, "interval_ms");
	pid = ctl_field(status, "ctld.pid");
	n.ctld_pid = json_is_integer(pid) ? (long)json_integer_value(pid) : -1;
	n.ctld_uptime_s = model_num(status, "ctld.uptime_s");
	n.ctld_version = model_str(status, "ctld.version", "-");

	n.nworkers = json_array_size(arr);
	n.workers = xcalloc(n.nworkers ? n.nworkers : 1, sizeof *n.workers);
	for (i = 0; i < n.nworkers; i++)
		model_worker(&n.workers[i], json_array_get(arr, i), i);

	arr = json_object_get(status, "queues");
	if (json_is_array(arr)) {
		n.nqueues = json_array_size(arr);
		n.queues = xcalloc(n.nqueues ? n.nqueues : 1, sizeof *n.queues);
		for (i = 0; i < n.nqueues; i++)
			model_queue(&n.queues[i], json_array_get(arr, i), i);
	}
	model_deps(&n, json_object_get(status, "deps"));
	model_events(&n, json_object_get(status, "events"));

	n.has_totals = json_is_object(json_object_get(status, "totals"));
	n.workers_total = model_num(status, "totals.workers");
	n.workers_up = model_num(status, "totals.workers_up");
	n.threads_total = model_num(status, "totals.threads.total");
	n.threads_busy = model_num(status, "totals.threads.busy");
	n.req_s = model_num(status, "totals.req_s");
	n.errors_s = model_num(status, "totals.errors_s");
	n.jobs_queued = model_num(status, "totals.jobs_queued");
	model_series(&n.busy_hist, status, "history.busy");
	model_series(&n.req_hist, status, "history.req_s");

	model_clear(m);
	*m = n;
	return 0;
}

void
model_clear(struct model *m)
{
	size_t	 i, j;

	for (i = 0; i < m->nworkers; i++) {
		for (j = 0; j < m->workers[i].ndegraded; j++)
			free(m->workers[i].degraded[j]);
		free(m->workers[i].id);
		free(m->workers[i].addr);
		free(m->workers[i].state);
		free(m->workers[i].lb_status);
		free(m->workers[i].last_error);
		free(m->workers[i].degraded);
	}
	free(m->workers);
	for (i = 0; i < m->nqueues; i++)
		free(m->queues[i].name);
	free(m->queues);
	for (i = 0; i < m->ndeps; i++) {
		free(m->deps[i].name);
		free(m->deps[i].error);
	}
	free(m->deps);
	for (i = 0; i < m->nevents; i++)
		free(m->events[i].text);
	free(m->events);
	free(m->ctld_version);
	model_init(m);
}

char *
model_degraded(const struct model_worker *w, const char *sep)
{
	char	*out, *s;
	size_t	 i;

	if (w->ndegraded == 0)
		return NULL;
	out = xstrdup(w->degraded[0]);
	for (i = 1; i < w->ndegraded; i++) {
		s = xasprintf("%s%s%s", out, sep, w->degraded[i]);
		free(out);
		out = s;
	}
	return out;
}

char *
model_dep_detail(const struct model_dep *d, char *buf, size_t size)
{
	char	 r[CTL_FMT_SIZE];

	if (d->error != NULL && d->error[0] != '\0')
		snprintf(buf, size, "%s", d->error);
	else if (d->conn_used >= 0)
		snprintf(buf, size, "connections %s", ctl_fmt_ratio(r,
		    sizeof r, d->conn_used, d->conn_max));
	else
		buf[0] = '\0';
	return buf;
}

const struct model_worker *
model_worker_find(const struct model *m, const char *id)
{
	size_t	 i;

	for (i = 0; i < m->nworkers; i++)
		if (strcmp(m->workers[i].id, id) == 0)
			return &m->workers[i];
	return NULL;
}

/* Accepts the model; counts workers "up" and sums their threads. */
int
model_workers_serving(const struct model *m, double *threads)
{
	size_t	 i;
	int	 n = 0;

	*threads = 0;
	for (i = 0; i < m->nworkers; i++) {
		if (strcmp(m->workers[i].state, "up") != 0)
			continue;
		n++;
		if (m->workers[i].threads > 0)
			*threads += m->workers[i].threads;
	}
	return n;
}
