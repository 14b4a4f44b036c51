/*
 * h-probe.c — /healthz and /readyz, answered on the event thread so that a
 * saturated pool never makes a live worker look dead to the load balancer.
 *
 * /healthz: the process is alive and its event loop turns.
 * /readyz:  it wants traffic: 200 while it can serve anything, 503 only
 *           while draining or shutting down.  A dependency that failed its
 *           last probe does not take the worker out of rotation (every
 *           worker shares the dependency: all would go, and with them the
 *           routes that need nothing); it is listed in "degraded", and the
 *           routes that need it answer 503 themselves (router_gate).  The
 *           dependencies are probed by their own threads (probe.c); this
 *           only reads the last results.
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
	json_t *obj;
	int draining = atomic_load(&w->draining);
	const char *status = "ready", *why = NULL;

	if (w->stopping) {
		status = "stopping";
		why = "shutting down";
	} else if (draining) {
		status = "draining";
		why = "draining: not taking new work";
	}
	obj = json_pack("{s:s,s:s,s:b,s:{s:i,s:i},s:{s:i,s:i},s:o,s:o}",
	    "status", status,
	    "worker", w->conf.worker.id,
	    "draining", draining,
	    "threads", "total", pool_threads(w->pool), "busy", pool_busy(w->pool),
	    "queue", "length", pool_queued(w->pool),
	    "capacity", pool_capacity(w->pool),
	    "deps", probe_json(w->probe),
	    "degraded", probe_degraded(w->probe));
	if (why != NULL) {
		json_object_set_new(obj, "error", json_string(why));
		response_json(resp, 503, obj);
	} else
		response_json(resp, 200, obj);
}
