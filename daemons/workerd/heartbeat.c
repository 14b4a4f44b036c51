/*
 * heartbeat.c — see heartbeat.h.
 *
 * The stats are read on the event thread, where their counters live
 * (workerd.h: counters without locks), and encoded there.  Publishing
 * blocks on the broker, so one thread of its own does it, with its own
 * AMQP connection: a broker outage must never stall the event thread.
 * Only the newest heartbeat matters: the slot between the two holds one,
 * and a newer one replaces an older one not yet sent.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "broker.h"
#include "clock.h"
#include "heartbeat.h"
#include "log.h"
#include "workerd.h"
#include "thread.h"
#include "xmalloc.h"

struct heartbeat {
	struct workerd		*w;
	struct event		*tick;
	char			*key;		/* worker.<id>.stats */
	pthread_t		 thread;
	pthread_mutex_t		 lock;		/* guards the fields below */
	pthread_cond_t		 wake;
	char			*body;		/* newest unsent heartbeat */
	int			 stopping;
};

static void
heartbeat_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct heartbeat	*hb = arg;
	json_t			*stats;
	char			*body;

	stats = control_stats(hb->w);
	json_object_set_new(stats, "time", json_real(clock_real_s()));
	body = json_dumps(stats, JSON_COMPACT);
	json_decref(stats);
	if (body == NULL)
		return;
	pthread_mutex_lock(&hb->lock);
	free(hb->body);
	hb->body = body;
	pthread_cond_signal(&hb->wake);
	pthread_mutex_unlock(&hb->lock);
}

static void *
heartbeat_main(void *arg)
{
	struct heartbeat	*hb = arg;
	struct broker_keep	*k;
	struct broker		*b;
	char			*body, *cause;

	k = broker_keep_new(&hb->w->conf.amqp, "pfo3-workerd heartbeat",
	    NULL, NULL);
	pthread_mutex_lock(&hb->lock);
	for (;;) {
		while (!hb->stopping && hb->body == NULL)
			pthread_cond_wait(&hb->wake, &hb->lock);
		if (hb->stopping)
			break;
		body = hb->body;
		hb->body = NULL;
		pthread_mutex_unlock(&hb->lock);

		/* While the broker is away (backing off), heartbeats are
		 * dropped: only the newest one matters. */
		cause = NULL;
		if ((b = broker_keep_get(k)) != NULL &&
		    broker_publish(b, BROKER_EVENTS, hb->key, body,
		    strlen(body), "application/json", 0, &cause) != 0)
			broker_keep_failed(k, cause);
		free(cause);
		free(body);
		pthread_mutex_lock(&hb->lock);
	}
	pthread_mutex_unlock(&hb->lock);
	broker_keep_free(k);
	return NULL;
}

struct heartbeat *
heartbeat_start(struct workerd *w, char **cause)
{
	struct heartbeat	*hb;
	struct timeval		 tv;

	if (w->conf.worker.heartbeat == 0)
		return NULL;
	hb = xcalloc(1, sizeof *hb);
	hb->w = w;
	hb->key = xasprintf("worker.%s.stats", w->conf.worker.id);
	pthread_mutex_init(&hb->lock, NULL);
	clock_cond_init(&hb->wake);
	if (thread_start(&hb->thread, "heartbeat", 0, heartbeat_main, hb,
	    cause) != 0) {
		pthread_cond_destroy(&hb->wake);
		pthread_mutex_destroy(&hb->lock);
		free(hb->key);
		free(hb);
		return NULL;
	}
	hb->tick = event_new(w->base, -1, EV_PERSIST, heartbeat_tick_cb, hb);
	event_add(hb->tick, clock_timeval(&tv, w->conf.worker.heartbeat));
	return hb;
}

void
heartbeat_stop(struct heartbeat *hb)
{
	if (hb == NULL)
		return;
	event_free(hb->tick);
	pthread_mutex_lock(&hb->lock);
	hb->stopping = 1;
	pthread_cond_signal(&hb->wake);
	pthread_mutex_unlock(&hb->lock);
	pthread_join(hb->thread, NULL);
	pthread_cond_destroy(&hb->wake);
	pthread_mutex_destroy(&hb->lock);
	free(hb->body);
	free(hb->key);
	free(hb);
}
