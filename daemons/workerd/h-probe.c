/*
 * h-probe.c — /healthz and /readyz, answered on the event thread so that a
 * saturated pool never makes a live worker look dead to the load balancer.
 *
 * /healthz: the process is alive and its event loop turns.
 * /readyz:  it wants traffic: 503 while draining or shutting down, so the
 *           load balancer's health check takes it out of rotation.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "pool.h"
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

	obj = json_pack("{s:s,s:s,s:b,s:{s:i,s:i},s:{s:i,s:i}}",
	    "status", w->stopping ? "stopping" : draining ? "draining" : "ready",
	    "worker", w->conf.worker.id,
	    "draining", draining,
	    "threads", "total", pool_threads(w->pool), "busy", pool_busy(w->pool),
	    "queue", "length", pool_queued(w->pool),
	    "capacity", pool_capacity(w->pool));
	if (draining || w->stopping) {
		json_object_set_new(obj, "error", json_string(w->stopping ?
		    "shutting down" : "draining: not taking new work"));
		response_json(resp, 503, obj);
	} else
		response_json(resp, 200, obj);
}
