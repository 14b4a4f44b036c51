/*
 * control.c — the worker's control socket: its command table and handlers.
 * Framing, arity and access checks, `help` and `ping` come from common/ctl.
 */
#include <stdatomic.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "conn.h"
#include "ctl.h"
#include "jobs.h"
#include "log.h"
#include "pool.h"
#include "probe.h"
#include "workerd.h"

static void	control_stats_cmd(struct ctl_call *);
static void	control_drain_cmd(struct ctl_call *);
static void	control_resume_cmd(struct ctl_call *);
static void	control_shutdown_cmd(struct ctl_call *);
static void	control_jobs_hold_cmd(struct ctl_call *);
static void	control_jobs_release_cmd(struct ctl_call *);

static const struct ctl_command control_table[] = {
	{ "stats", "", 0, 0, CTL_READ,
	  "Pool load, connections, requests and latency of this worker.",
	  control_stats_cmd },
	{ "drain", "", 0, 0, CTL_ADMIN,
	  "Stop taking new work: readyz answers 503, keep-alive ends; "
	  "in-flight work finishes.", control_drain_cmd },
	{ "resume", "", 0, 0, CTL_ADMIN,
	  "Take new work again after a drain.", control_resume_cmd },
	{ "shutdown", "", 0, 0, CTL_ADMIN,
	  "Drain, finish in-flight work, then exit (bounded by "
	  "worker.shutdown_timeout).", control_shutdown_cmd },
	{ "jobs.hold", "", 0, 0, CTL_ADMIN,
	  "Start no new job: jobs in hand finish, queued ones wait in the "
	  "broker; HTTP goes on.", control_jobs_hold_cmd },
	{ "jobs.release", "", 0, 0, CTL_ADMIN,
	  "Run jobs again after jobs.hold.", control_jobs_release_cmd },
	{ NULL, NULL, 0, 0, CTL_READ, NULL, NULL },
};

json_t *
control_stats(struct workerd *w)
{
	static const double q[4] = { 0.5, 0.9, 0.99, 1.0 };
	const struct metrics *m = &w->metrics;
	double p[4];
	int64_t now_ms = clock_mono_ms(), max_us;
	uint64_t n;
	json_t *status = json_object();
	int i, j;

	/* Count the requests the pool handed back quietly (conn-pool.c). */
	conn_settle(w, NULL);

	n = latency_quantiles(&m->latency, clock_mono_us() / 1000000, q, 4, p,
	    &max_us);
	for (i = 0; i < m->nroutes; i++)
		for (j = 0; j < m->route[i].nstatus; j++) {
			char code[8];
			json_t *old;

			snprintf(code, sizeof code, "%d", m->route[i].status[j].code);
			old = json_object_get(status, code);
			json_object_set_new(status, code, json_integer(
			    (json_int_t)m->route[i].status[j].count +
			    (old != NULL ? json_integer_value(old) : 0)));
		}
	return json_pack("{s:s,s:s,s:i,s:I,s:I,s:{s:i,s:i},s:{s:i,s:i},"
	    "s:i,s:i,s:i,s:{s:I,s:I,s:I,s:o},s:{s:I,s:I},"
	    "s:{s:I,s:f,s:f,s:f,s:f,s:i},s:b,s:b,s:o,s:o,s:o}",
	    "id", w->conf.worker.id,
	    "listen", w->conf.worker.listen,
	    "pid", (int)getpid(),
	    "uptime_s", (json_int_t)((now_ms - w->start_mono_ms) / 1000),
	    "started_at", (json_int_t)w->start_time,
	    "threads", "total", pool_threads(w->pool), "busy", pool_busy(w->pool),
	    "queue", "length", pool_queued(w->pool),
	    "capacity", pool_capacity(w->pool),
	    "connections", w->nconns,
	    "inflight", w->inflight,
	    "parked", w->nparked,
	    "requests", "total", (json_int_t)m->requests_total,
	    "errors", (json_int_t)m->errors_total,
	    "rejected", (json_int_t)m->rejected_full,
	    "by_status", status,
	    "tasks", "completed", (json_int_t)atomic_load(&m->tasks_ok),
	    "failed", (json_int_t)atomic_load(&m->tasks_failed),
	    "latency_ms", "samples", (json_int_t)n, "p50", p[0] / 1e3,
	    "p90", p[1] / 1e3, "p99", p[2] / 1e3, "max", (double)max_us / 1e3,
	    "window_s", LATENCY_WINDOW_S,
	    "draining", atomic_load(&w->draining),
	    "stopping", w->stopping,
	    "deps", probe_json(w->probe),
	    "jobs", jobs_stats(w),
	    "degraded", probe_degraded(w->probe));
}

static void
control_stats_cmd(struct ctl_call *call)
{
	ctl_call_reply(call, control_stats(ctl_call_ctx(call)));
}

static void
control_drain_cmd(struct ctl_call *call)
{
	struct workerd *w = ctl_call_ctx(call);

	server_drain(w, 1);
	ctl_call_reply(call, json_pack("{s:b,s:i}", "draining", 1,
	    "inflight", w->inflight));
}

static void
control_resume_cmd(struct ctl_call *call)
{
	struct workerd *w = ctl_call_ctx(call);

	if (w->stopping) {
		ctl_call_fail(call, "shutting down: cannot resume");
		return;
	}
	server_drain(w, 0);
	ctl_call_reply(call, json_pack("{s:b}", "draining", 0));
}

static void
control_shutdown_cmd(struct ctl_call *call)
{
	struct workerd *w = ctl_call_ctx(call);

	ctl_call_reply(call, json_pack("{s:i,s:I}", "inflight", w->inflight,
	    "timeout_ms", (json_int_t)w->conf.worker.shutdown_timeout));
	server_shutdown(w, "control socket");
}

/* jobs.hold and jobs.release. */
static void
control_jobs_set(struct ctl_call *call, int on)
{
	struct workerd *w = ctl_call_ctx(call);

	if (jobs_hold(w, on) != 0) {
		ctl_call_fail(call, "this worker runs no jobs "
		    "(worker.job_threads is 0)");
		return;
	}
	ctl_call_reply(call, json_pack("{s:b}", "held", on));
}

static void
control_jobs_hold_cmd(struct ctl_call *call)
{
	control_jobs_set(call, 1);
}

static void
control_jobs_release_cmd(struct ctl_call *call)
{
	control_jobs_set(call, 0);
}

int
control_start(struct workerd *w, char **cause)
{
	if (w->control_path == NULL || *w->control_path == '\0')
		return 0;
	w->ctl = ctl_server_new(w->base, w->control_path, 0660, CTL_ADMIN,
	    control_table, w, (size_t)w->conf.control.max_line,
	    (int)w->conf.control.max_clients, cause);
	if (w->ctl == NULL)
		return -1;
	log_info("control socket %s", w->control_path);
	return 0;
}

void
control_stop(struct workerd *w)
{
	if (w->ctl != NULL)
		ctl_server_free(w->ctl);
	w->ctl = NULL;
}
