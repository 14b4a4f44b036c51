/*
 * test-console-model.c — status objects into the console's model: every
 * field of the contract, the order of dependencies, defaults for missing
 * or mistyped fields, and refusal of what is not a status (the model
 * then stays as it was).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "console-fixture.h"
#include "status-model.h"
#include "tap.h"

static int
near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

static void
test_fixture(void)
{
	struct model			 m;
	const struct model_worker	*w;
	double				 threads;

	fixture_model(&m);
	tap_ok(m.valid, "the fixture makes a valid model");
	tap_is_int((long long)m.nworkers, 4, "4 workers");
	tap_is_str(m.workers[0].id, "w10", "workers keep ctld's order");
	tap_is_str(m.workers[0].state, "failed", "state");
	tap_is_str(m.workers[0].last_error, "exited with status 1",
	    "last_error");
	tap_is_str(m.workers[0].lb_status, "DOWN", "lb.status");
	w = model_worker_find(&m, "w1");
	tap_ok(w != NULL && near(w->busy, 4) && near(w->threads, 5),
	    "w1: threads 4 busy of 5");
	tap_ok(w != NULL && near(w->queue, 3) && near(w->queue_cap, 64),
	    "w1: pool queue 3 of 64");
	tap_ok(w != NULL && near(w->p50, 1.25) && near(w->p99, 48),
	    "w1: latency p50 1.25, p99 48");
	tap_ok(w != NULL && near(w->inflight, 4) && near(w->jobs_running, 1),
	    "w1: 4 in flight, 1 job running");
	tap_ok(w != NULL && w->busy_hist.n == 8 && near(w->busy_hist.v[7], 4),
	    "w1: busy history, oldest first");
	tap_ok(w != NULL && w->last_error == NULL, "null last_error is NULL");
	w = model_worker_find(&m, "w3");
	tap_ok(w != NULL && w->pid == -1 && !w->local,
	    "w3: a remote worker (pid null, local false)");
	tap_ok(model_worker_find(&m, "w4") == NULL, "unknown id: NULL");

	tap_is_int((long long)m.nqueues, 4, "4 queues");
	tap_ok(m.queues[3].dead_letter && !m.queues[0].dead_letter,
	    "dead_letter only on pfo3.jobs.dead");
	tap_ok(near(m.queues[0].messages, 150) &&
	    near(m.queues[0].unacked, 2) && near(m.queues[0].consumers, 3) &&
	    near(m.queues[0].in_s, 4) && near(m.queues[0].out_s, 1.5),
	    "queue fields");

	tap_is_int((long long)m.ndeps, 4, "4 dependencies");
	tap_ok(m.ndeps == 4 && !strcmp(m.deps[0].name, "postgres") &&
	    !strcmp(m.deps[1].name, "s3") && !strcmp(m.deps[2].name, "amqp") &&
	    !strcmp(m.deps[3].name, "haproxy"),
	    "dependencies in a fixed order, whatever the JSON order");
	tap_ok(m.deps[1].ok == 0 && m.deps[1].latency_ms == MODEL_NONE &&
	    m.deps[1].error != NULL &&
	    !strcmp(m.deps[1].error, "connect: Connection refused"),
	    "s3 down: ok false, no latency, its error");
	tap_ok(near(m.deps[0].conn_used, 5) && near(m.deps[0].conn_max, 100),
	    "postgres connections 5 of 100");
	tap_ok(m.deps[2].conn_max == MODEL_NONE,
	    "no connections for amqp: none");

	tap_ok(near(m.workers_total, 4) && near(m.workers_up, 2) &&
	    near(m.threads_total, 20) && near(m.threads_busy, 9) &&
	    near(m.jobs_queued, 1352) && near(m.errors_s, 1.5),
	    "totals");
	tap_ok(m.busy_hist.n == 4 && m.req_hist.n == 3, "cluster history");
	tap_is_int((long long)m.nevents, 3, "3 events");
	tap_ok(near(m.events[0].time, 1764399990.0), "event time");
	tap_ok(m.ctld_pid == 4321 && near(m.ctld_uptime_s, 3725) &&
	    !strcmp(m.ctld_version, "0.1.0"), "ctld pid, uptime, version");
	tap_is_int(model_workers_serving(&m, &threads), 2,
	    "2 workers serve (up)");
	tap_ok(near(threads, 10), "with 10 threads");
	model_clear(&m);
	tap_ok(!m.valid && m.nworkers == 0, "model_clear empties the model");
}

/* A bad status is refused with a reason and changes nothing. */
static void
refuse(struct model *m, const char *text, const char *want, const char *name)
{
	json_t	*st = json_loads(text, 0, NULL);
	char	*cause = NULL;
	int	 r;

	r = model_apply(m, st, &cause);
	tap_ok(r == -1 && cause != NULL && strstr(cause, want) != NULL,
	    "refused: %s", name);
	if (cause == NULL || strstr(cause, want) == NULL)
		tap_diag("cause: %s", cause ? cause : "(none)");
	tap_is_int((long long)m->nworkers, 4, "%s: the model is unchanged",
	    name);
	free(cause);
	json_decref(st);
}

static void
test_refused(void)
{
	struct model	 m;

	fixture_model(&m);
	refuse(&m, "[1,2]", "not a JSON object", "an array");
	refuse(&m, "{\"ok\":false,\"error\":\"no such command\"}",
	    "no such command", "an error reply");
	refuse(&m, "{\"ok\":true,\"workers\":{}}", "\"workers\"",
	    "workers not a list");
	refuse(&m, "{\"ok\":\"yes\",\"workers\":[]}", "error",
	    "ok not a boolean");
	model_clear(&m);
}

/* Odd fields: the model still forms, with "none" where data is bad. */
static void
test_odd(void)
{
	struct model	 m;
	json_t		*st, *hist;
	char		*cause = NULL;
	int		 i;

	hist = json_array();
	for (i = 0; i < 400; i++)
		json_array_append_new(hist, json_integer(i));
	st = json_pack("{s:b, s:[{s:s, s:i}, {s:s, s:{s:i}, s:f, s:{s:o}}, "
	    "i], s:s, s:[s]}",
	    "ok", 1, "workers",
	    "threads", "five", "state", 7,
	    "id", "wX", "threads", "busy", -3, "req_s", -1.0,
	    "history", "busy", hist, 42,
	    "deps", "nonsense", "events", "a bare sentence");
	tap_ok(model_apply(&m, st, &cause) == 0, "odd fields still apply");
	json_decref(st);
	tap_is_int((long long)m.nworkers, 3, "3 workers (one is not an "
	    "object)");
	tap_is_str(m.workers[0].id, "#1", "no id: a placeholder");
	tap_is_str(m.workers[0].state, "-", "state not a string: -");
	tap_ok(m.workers[0].threads == MODEL_NONE, "threads not an object: "
	    "none");
	tap_ok(m.workers[1].busy == MODEL_NONE && m.workers[1].req_s ==
	    MODEL_NONE, "negative numbers: none");
	tap_ok(m.workers[1].busy_hist.n == MODEL_HISTORY &&
	    m.workers[1].busy_hist.v[0] == 100 &&
	    m.workers[1].busy_hist.v[MODEL_HISTORY - 1] == 399,
	    "400 samples: the newest 300 kept");
	tap_is_str(m.workers[2].id, "#3", "a number as a worker: placeholder");
	tap_is_int((long long)m.ndeps, 0, "deps not an object: none");
	tap_ok(m.nevents == 1 && !strcmp(m.events[0].text,
	    "a bare sentence"), "an event given as a bare string");
	tap_ok(m.nqueues == 0 && m.interval_ms == MODEL_NONE,
	    "missing queues and interval");
	model_clear(&m);
	free(cause);
}

int
main(void)
{
	test_fixture();
	test_refused();
	test_odd();
	return tap_done();
}
