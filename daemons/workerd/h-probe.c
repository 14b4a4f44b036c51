/*
 * h-probe.c — /healthz and /readyz, answered on the event thread so that a
 * saturated pool never makes a live worker look dead to the load balancer.
 *
 * /healthz: the process is alive and its event loop turns.
 * /readyz:  it wants traffic: 503 while draining or shutting down, or while
 *           a dependency (PostgreSQL, RabbitMQ, S3) failed its last probe,
 *           so the load balancer's health check takes it out of rotation.
 *           The dependencies are probed by their own thread (probe.c);
 *           this only reads the last results.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "pool.h"
#include "probe.h"
#include "respond.h"
#include "router.h"
#include "workerd.h"
#include "xmalloc.h"

void
h_healthz(struct workerd *w, const struct request *req, struct response *resp)
{
	response_body(resp, 200, "text/plain", xstrdup("ok\n"), 3);
}

void
h_readyz(struct workerd *w, const struct request *req, struct response *resp)
{
	struct probe_result dep[PROBE_COUNT];
	json_t *obj;
	int draining = atomic_load(&w->draining), i, down = -1;
	const char *status = "ready";
	char *why = NULL;

	probe_read(w->probe, dep);
	for (i = 0; i < PROBE_COUNT && down == -1; i++)
		if (!dep[i].checked || !dep[i].ok)
			down = i;
	if (w->stopping) {
		status = "stopping";
		why = xstrdup("shutting down");
	} else if (draining) {
		status = "draining";
		why = xstrdup("draining: not taking new work");
	} else if (down != -1) {
		status = "unavailable";
		why = dep[down].checked ? xasprintf("%s is down: %s",
		    probe_name(down), dep[down].error) :
		    xasprintf("%s not probed yet", probe_name(down));
	}
	obj = json_pack("{s:s,s:s,s:b,s:{s:i,s:i},s:{s:i,s:i},s:o}",
	    "status", status,
	    "worker", w->conf.worker.id,
	    "draining", draining,
	    "threads", "total", pool_threads(w->pool), "busy", pool_busy(w->pool),
	    "queue", "length", pool_queued(w->pool),
	    "capacity", pool_capacity(w->pool),
	    "deps", probe_json(w->probe));
	if (why != NULL) {
		json_object_set_new(obj, "error", json_string(why));
		free(why);
		response_json(resp, 503, obj);
	} else
		response_json(resp, 200, obj);
}
