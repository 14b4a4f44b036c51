/*
 * status.c — the status object of the control protocol (see
 * doc/control-protocol.md), and the history samples behind its
 * sparklines.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "ctld.h"
#include "depslink.h"
#include "config.h"

static json_t *
status_lb(const struct worker *w)
{
	if (!w->lb.present)
		return json_pack("{s:n,s:n,s:I,s:I,s:I,s:I}", "status",
		    "check", "sessions", (json_int_t)w->lb.sessions, "queue",
		    (json_int_t)0, "rate", (json_int_t)0, "http_5xx",
		    (json_int_t)0);
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "status", w->lb.status,
	    "check", w->lb.check, "sessions", (json_int_t)w->lb.sessions,
	    "queue", (json_int_t)w->lb.queue, "rate", (json_int_t)w->lb.rate,
	    "http_5xx", (json_int_t)w->lb.http_5xx);
}

/* ["s3","amqp"] from "s3,amqp": what a worker cannot serve now. */
static json_t *
status_degraded(const char *list)
{
	json_t		*a = json_array();
	const char	*end;

	while (*list != '\0') {
		end = strchr(list, ',');
		if (end == NULL)
			end = list + strlen(list);
		json_array_append_new(a, json_stringn(list,
		    (size_t)(end - list)));
		list = *end == ',' ? end + 1 : end;
	}
	return a;
}

/* Stats older than this many intervals are not shown as current. */
#define STATUS_STALE_INTERVALS	3

static json_t *
status_worker(struct ctld *c, const struct worker *w, int64_t now)
{
	const struct wstats	*s = &w->st;
	json_t			*o;
	int			 fresh;

	fresh = s->valid && now - s->at_ms <=
	    STATUS_STALE_INTERVALS * c->conf.ctld.interval;
	o = json_pack("{s:s,s:s,s:o,s:b,s:s,s:o,s:{s:i,s:i},s:{s:i,s:i},"
	    "s:i,s:i,s:f,s:f,s:{s:f,s:f},s:i,s:I,s:o,s:{s:o}}",
	    "id", w->id,
	    "addr", w->addr,
	    "pid", w->local ? (w->pid != 0 ? json_integer(w->pid) :
	    json_null()) : json_null(),
	    "local", w->local,
	    "state", lifecycle_state_name(w->state),
	    "lb", status_lb(w),
	    "threads", "total", s->threads_total, "busy",
	    fresh ? s->threads_busy : 0,
	    "queue", "length", fresh ? s->queue_len : 0,
	    "capacity", s->queue_cap,
	    "inflight", fresh ? s->inflight : 0,
	    "jobs_running", fresh ? s->jobs_running : 0,
	    "req_s", fresh ? w->req_s : 0.0,
	    "errors_s", fresh ? w->errors_s : 0.0,
	    "latency_ms", "p50", s->p50_ms, "p99", s->p99_ms,
	    "restarts", w->restarts,
	    "uptime_s", (json_int_t)(w->local ? (w->pid != 0 ?
	    (now - w->started_ms) / 1000 : 0) : s->uptime_s),
	    "last_error", w->last_error[0] != '\0' ?
	    json_string(w->last_error) : json_null(),
	    "history", "busy", ring_json(&w->busy));
	json_object_set_new(o, "degraded", status_degraded(fresh ?
	    s->degraded : ""));
	if (w->want_drain)
		json_object_set_new(o, "drain_wanted", json_true());
	if (w->adopted)
		json_object_set_new(o, "adopted", json_true());
	if (w->op != OP_NONE)
		json_object_set_new(o, "action", json_string(w->op ==
		    OP_REMOVE ? "remove" : "restart"));
	if (!w->local)
		json_object_set_new(o, "heartbeat_age_ms", w->beat_ms != 0 ?
		    json_integer((json_int_t)(now - w->beat_ms)) :
		    json_null());
	return o;
}

json_t *
status_json(struct ctld *c)
{
	struct worker	*w;
	json_t		*workers = json_array(), *deps, *o;
	int64_t		 now = clock_mono_ms(), queued = 0;
	int		 up = 0, total = 0, busy = 0;
	double		 req_s = 0, errors_s = 0;

	TAILQ_FOREACH(w, &c->workers, entry) {
		json_array_append_new(workers, status_worker(c, w, now));
		if (w->state == WS_UP)
			up++;
		if (w->st.valid && (w->state == WS_UP ||
		    w->state == WS_DRAINING || w->state == WS_DRAINED)) {
			total += w->st.threads_total;
			busy += w->st.threads_busy;
			req_s += w->req_s;
			errors_s += w->errors_s;
		}
	}
	deps = depslink_deps(c->deps);
	json_object_set_new(deps, "haproxy", lb_enabled(c) ?
	    json_pack("{s:b,s:b,s:f,s:o}", "checked", 1, "ok", c->lb_ok,
	    "latency_ms", c->lb_ok ? c->lb_latency_ms : 0.0, "error",
	    c->lb_ok ? json_null() : json_string(c->lb_error)) :
	    json_pack("{s:b,s:b,s:f,s:s}", "checked", 0, "ok", 1,
	    "latency_ms", 0.0, "error", "no HAProxy configured"));
	o = json_pack("{s:f,s:I,s:{s:i,s:I,s:s},s:o,s:o,s:o,"
	    "s:{s:i,s:i,s:{s:i,s:i},s:f,s:f,s:I},s:{s:o,s:o},s:O}",
	    "time", clock_real_s(),
	    "interval_ms", (json_int_t)c->conf.ctld.interval,
	    "ctld", "pid", (int)c->pid,
	    "uptime_s", (json_int_t)((now - c->start_ms) / 1000),
	    "version", PACKAGE_VERSION,
	    "workers", workers,
	    "queues", depslink_queues(c->deps, &queued),
	    "deps", deps,
	    "totals", "workers", c->nworkers, "workers_up", up,
	    "threads", "total", total, "busy", busy,
	    "req_s", req_s, "errors_s", errors_s,
	    "jobs_queued", (json_int_t)queued,
	    "history", "busy", ring_json(&c->hist_busy),
	    "req_s", ring_json(&c->hist_req),
	    "events", journal_json(&c->journal));
	if (c->restart_all != NULL)
		json_object_set_new(o, "rolling_restart", json_pack("{s:s,s:s}",
		    "current", c->restart_current, "left", c->restart_all));
	return o;
}

/* One history sample per worker and for the cluster. */
void
status_sample(struct ctld *c)
{
	struct worker	*w;
	int64_t		 now = clock_mono_ms();
	double		 busy = 0, req = 0;
	int		 fresh;

	TAILQ_FOREACH(w, &c->workers, entry) {
		fresh = w->st.valid && now - w->st.at_ms <=
		    STATUS_STALE_INTERVALS * c->conf.ctld.interval;
		ring_push(&w->busy, fresh ? w->st.threads_busy : 0);
		if (fresh) {
			busy += w->st.threads_busy;
			req += w->req_s;
		}
	}
	ring_push(&c->hist_busy, busy);
	ring_push(&c->hist_req, req);
}
