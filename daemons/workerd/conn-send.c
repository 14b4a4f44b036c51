/*
 * conn-send.c — writing a response on a connection: its head and body
 * into the output buffer (conn_run() flushes it), a streamed body from its
 * pipe as the socket takes it, and the request's count in the metrics.
 * A pool thread writes a `direct` request's reply itself
 * (conn_send_direct); the rest runs on the event thread.
 */
#include <errno.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "clock.h"
#include "conn-int.h"
#include "log.h"
#include "stream.h"

/* Response body bytes moved from a stream to the socket buffer at once. */
#define CONN_OUT_CHUNK	(64 * 1024)

/* Queues the head of the response and, unless it is streamed, its body. */
static void
conn_send_head(struct conn *c)
{
	struct workerd *w = c->w;

	c->keep_alive = !c->seed && !c->resp.close && c->req.keep_alive &&
	    !atomic_load(&w->draining) && !w->stopping;
	if (c->seed) {
		evbuffer_add(c->out, c->resp.body, c->resp.body_len);
		return;
	}
	response_retry_default(&c->resp, w->conf.worker.retry_after);
	response_write(&c->resp, c->out, !c->keep_alive ?
	    RESPONSE_CLOSE : c->req.version_minor == 0 ?
	    RESPONSE_KEEP_10 : RESPONSE_KEEP, c->head_only, w->conf.worker.id);
}

/* The response is all queued: count it and forget the request. */
static void
conn_sent(struct conn *c)
{
	struct workerd *w = c->w;
	int64_t now = c->t_done_us != 0 ? c->t_done_us : clock_mono_us();
	int route, error;

	if (c->t_start_us == 0)
		c->t_start_us = now;	/* answered before any byte came */
	if (c->seed) {
		route = metrics_route(&w->metrics, "seed");
		w->metrics.seed_total++;
	} else
		route = router_metric_index(c->route);
	/*
	 * A 503 of /readyz reports a state (draining, a dependency down)
	 * that the load balancer asked about every second: counting it as
	 * an error would show a drained worker failing.
	 */
	error = c->resp.status >= 500 &&
	    (c->seed || c->route == NULL || c->route->where != ROUTE_INLINE);
	metrics_request(&w->metrics, route, c->resp.status, error,
	    now - c->t_start_us, now / 1000000);
	c->nrequests++;
	/* Forgets the request (conn.c), keeping the connection. */
	conn_reset_request(c);
	c->state = CONN_WRITE;
	/*
	 * No timer while the reply is written: conn_run() arms write_timeout
	 * only if the socket cannot take it all at once (conn_write_wait),
	 * so that a reply flushed at once costs no timer re-arming.
	 */
	evtimer_del(c->timer);
}

void
conn_send(struct conn *c)
{
	if (!c->replied)
		conn_send_head(c);
	conn_sent(c);
}

/*
 * A reply that keeps the connection open, as conn_send_head() would write
 * it.  Only what the pool thread may read is looked at: the request and
 * the response it owns, `draining` (an atomic; shutdown sets it before
 * `stopping`), the configuration.  The socket's edge flags are the event
 * thread's: a write that would block leaves the rest in `out`, and the
 * event thread's own write finds out.
 */
int
conn_send_direct(struct conn *c)
{
	struct workerd *w = c->w;

	if (c->resp.streaming || c->resp.park_until_ms > 0 || c->resp.close ||
	    atomic_load(&c->out_ready) || atomic_load(&c->dead) ||
	    atomic_load(&w->draining))
		return -1;
	c->keep_alive = 1;
	response_retry_default(&c->resp, w->conf.worker.retry_after);
	response_write(&c->resp, c->out, c->req.version_minor == 0 ?
	    RESPONSE_KEEP_10 : RESPONSE_KEEP, c->head_only, w->conf.worker.id);
	c->replied = 1;
	c->t_done_us = clock_mono_us();
	while (evbuffer_get_length(c->out) > 0)
		if (evbuffer_write(c->out, c->fd) < 0 && errno != EINTR)
			return 0;
	return 1;
}

void
conn_fail(struct conn *c, int status, const char *cause)
{
	log_debug("%s: %d %s", c->peer, status, cause);
	evtimer_del(c->timer);
	c->req.keep_alive = 0;
	response_error(&c->resp, status, "%s", cause);
	c->resp.close = 1;
	c->linger = 1;
	conn_send(c);
}

/* `flushed` says the socket took all the output so far. */
enum conn_step
conn_drain_out(struct conn *c, int flushed)
{
	size_t n;

	if (!c->head_sent) {
		conn_send_head(c);
		c->head_sent = 1;
		conn_set_timer(c, TMO_WRITE);
		return STEP_MORE;
	}
	if (!flushed)
		return STEP_WAIT;	/* the socket is full: an edge will come */
	if ((n = stream_take(c->out_stream, c->out, CONN_OUT_CHUNK)) > 0) {
		c->out_sent += (int64_t)n;
		conn_set_timer(c, TMO_WRITE);
		return STEP_MORE;
	}
	if (stream_closed(c->out_stream, NULL, NULL) &&
	    stream_length(c->out_stream) == 0) {
		if (c->state != CONN_STREAM_OUT)
			return STEP_WAIT;	/* the pool hands it back soon */
		if (c->out_sent != c->resp.stream_length && !c->head_only) {
			/* Cut short: only closing can tell the client. */
			log_warnx("%s: response body cut after %lld of %lld "
			    "bytes", c->peer, (long long)c->out_sent,
			    (long long)c->resp.stream_length);
			c->keep_alive = 0;
			c->linger = 0;
		}
		conn_sent(c);
		return STEP_MORE;
	}
	if (!stream_pause_take(c->out_stream))
		return STEP_MORE;
	evtimer_del(c->timer);	/* waiting for the handler, not the client */
	return STEP_WAIT;
}
