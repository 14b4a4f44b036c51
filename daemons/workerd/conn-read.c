/*
 * conn-read.c — reading a request on a connection: its head, then its
 * body, which body-pump.h moves either into memory (BODY state) or, for a
 * ROUTE_STREAM request already on a thread, into its handler's pipe; or
 * the seed protocol's one JSON object (SEED state).
 */
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "clock.h"
#include "conn-int.h"
#include "log.h"
#include "stream.h"
#include "xmalloc.h"

/* Copies a request-target part into a NUL-terminated string. */
static char *
conn_copy(const char *p, size_t len)
{
	return p == NULL ? NULL : xstrndup(p, len);
}

/* Sends "100 Continue" when the client waits for it before its body. */
static void
conn_continue(struct conn *c)
{
	if (c->req.expect_continue && evbuffer_get_length(c->in) == 0 &&
	    (c->req.chunked || c->req.content_length > 0))
		evbuffer_add(c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
}

/* A ROUTE_STREAM request: to the pool now, its body through a pipe. */
static void
conn_start_stream(struct conn *c)
{
	struct workerd *w = c->w;
	struct stream *pipe;

	conn_stream_event(c);
	pipe = stream_new((size_t)w->conf.worker.stream_buffer, c->stream_ev);
	if (body_pump_stream_start(&c->pump, &c->req, w->conf.files.max_size,
	    (size_t)w->conf.worker.max_header_size, pipe) == -1) {
		conn_fail(c, 413, "request body too large");
		return;
	}
	c->r.body_stream = c->pump.pipe;
	c->r.body_length = c->req.chunked ? -1 : c->pump.length;
	conn_continue(c);
	conn_dispatch(c);
	if (c->state == CONN_POOL && !c->pump.done)
		conn_body_start(c);
}

/* Parses a head of `hlen` bytes at the front of the input. */
static void
conn_start_request(struct conn *c, size_t hlen)
{
	struct workerd *w = c->w;
	const struct http_header *h;
	const char *cause;
	int status;

	c->head = xmalloc(hlen + 1);
	evbuffer_remove(c->in, c->head, hlen);
	c->head[hlen] = '\0';
	c->head_started = 0;
	if (http_parse_head(c->head, hlen, (size_t)w->conf.worker.max_headers,
	    &c->req, &status, &cause) == -1) {
		conn_fail(c, status, cause);
		return;
	}
	c->path = conn_copy(c->req.path, c->req.path_len);
	c->query = conn_copy(c->req.query, c->req.query_len);
	if ((h = http_header_find(&c->req, "Content-Type")) != NULL)
		c->ctype = xstrndup(h->value, h->value_len);
	c->head_only = http_method_is(&c->req, "HEAD");
	c->route = router_match(c->req.method, c->req.method_len, c->path,
	    c->r.ids, &c->r.nids, &c->route_status, c->route_allow);
	if (c->route != NULL && c->route->where == ROUTE_STREAM) {
		conn_start_stream(c);
		return;
	}
	if (body_pump_buffer_start(&c->pump, &c->req,
	    w->conf.worker.max_body_size,
	    (size_t)w->conf.worker.max_header_size) == -1) {
		conn_fail(c, 413, "request body too large");
		return;
	}
	conn_continue(c);
	c->state = CONN_BODY;
	/* No body to wait for (most requests): conn_read_body() dispatches
	 * at once, so no body timer is armed only to be deleted. */
	if (c->pump.chunked || c->pump.length > 0)
		conn_body_start(c);
}

enum conn_step
conn_read_head(struct conn *c)
{
	struct workerd *w = c->w;
	size_t avail = evbuffer_get_length(c->in);
	size_t max = (size_t)w->conf.worker.max_header_size;
	size_t n;
	const char *data;
	ssize_t hlen;

	if (avail == 0)
		return STEP_WAIT;
	if (c->t_start_us == 0)
		c->t_start_us = clock_mono_us();	/* latency counts from here */
	if (c->nrequests == 0 && !c->seed) {
		data = (const char *)evbuffer_pullup(c->in, 1);
		if (data[0] == '{') {
			c->seed = 1;
			c->state = CONN_SEED;
			memset(&c->seed_scan, 0, sizeof c->seed_scan);
			return STEP_MORE;
		}
	}
	n = avail < max ? avail : max;
	data = (const char *)evbuffer_pullup(c->in, (ev_ssize_t)n);
	hlen = http_head_length(data, n);
	if (hlen < 0) {
		conn_fail(c, 400, "bare CR or LF in the request head");
		return STEP_MORE;
	}
	if (hlen == 0) {
		if (n >= max) {
			conn_fail(c, 431, "request head too large");
			return STEP_MORE;
		}
		/*
		 * head_timeout counts from the head's first byte.  Armed
		 * only here, when part of a head must be waited for: a head
		 * that came whole (keep-alive traffic) costs no timer
		 * re-arming, and the keep-alive timer still pending is
		 * deleted when the request is dispatched or failed.
		 */
		if (!c->head_started) {
			c->head_started = 1;
			conn_set_timer(c, TMO_HEAD);
		}
		return STEP_WAIT;
	}
	conn_start_request(c, (size_t)hlen);
	return STEP_MORE;
}

enum conn_step
conn_read_body(struct conn *c)
{
	const char *cause;
	int rc, status;

	rc = body_pump_buffer(&c->pump, c->in, &status, &cause);
	if (rc == 0)
		return STEP_WAIT;
	if (rc == -1)
		conn_fail(c, status, cause);
	else
		conn_dispatch(c);
	return STEP_MORE;
}

enum conn_step
conn_read_seed(struct conn *c)
{
	size_t avail = evbuffer_get_length(c->in);
	size_t max = (size_t)c->w->conf.worker.max_seed_size;
	const char *data;
	ssize_t end;

	data = (const char *)evbuffer_pullup(c->in, -1);
	end = seed_scan(&c->seed_scan, data, avail < max ? avail : max);
	if (end == 0 && avail < max && !c->eof)
		return STEP_WAIT;
	if (end <= 0) {
		/* Malformed, oversized or cut short: still one JSON reply. */
		seed_refuse(c->w, &c->resp, end < 0 ? "JSON inválido" :
		    avail >= max ? "Tarea demasiado grande" : "Tarea incompleta");
		conn_send(c);
		return STEP_MORE;
	}
	body_pump_take(&c->pump, c->in, (size_t)end);
	conn_dispatch(c);
	return STEP_MORE;
}

enum conn_step
conn_feed(struct conn *c)
{
	size_t limit;
	int rc;

	switch (body_pump_room(&c->pump, clock_mono_ms())) {
	case PUMP_RETRY:
		return STEP_MORE;
	case PUMP_FULL:
		conn_body_timer(c);
		return STEP_WAIT;
	case PUMP_RESUMED:
		conn_body_timer(c);
		break;
	case PUMP_ROOM:
		break;
	}
	/* As much as the pipe has room for, in reads as large as what the
	 * socket holds: the pipe bounds the memory either way. */
	limit = stream_room(c->pump.pipe);
	if (limit < conn_input_limit(c))
		limit = conn_input_limit(c);
	if (conn_io_read_body(c, limit) == -1) {
		conn_close(c);
		return STEP_FREED;
	}
	rc = body_pump_feed(&c->pump, c->in, c->eof);
	if (c->pump.done)
		evtimer_del(c->timer);	/* ended: no more body checks */
	return rc == 1 ? STEP_MORE : STEP_WAIT;
}
