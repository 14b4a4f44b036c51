/*
 * conn.c — the life of a client connection, on the event thread.
 *
 *   HEAD ──head parsed──> BODY ──body complete──> (inline handler) ──┐
 *    ^  \                                  \──> POOL ──done_ev──────>┤
 *    |   '{' as first byte ─> SEED ─> POOL                           v
 *    └──────── keep-alive, output flushed ──────────────────────── WRITE
 *
 * conn_run() drives a connection as far as it can go: it flushes output,
 * reads what the socket has (never while a request is on the pool or being
 * answered: a client that pipelines requests waits in the kernel's buffers,
 * not in ours) and steps the state machine until it needs the network or
 * the pool.  Every event on the connection ends in conn_run().
 *
 * One timer per connection carries the deadline of the current state:
 * keep-alive idleness before the first byte of a head, then the head
 * timeout (a whole-head deadline, so a client trickling bytes cannot hold
 * the connection), the body timeout, the write timeout.
 *
 * After an error that ends the connection (400, 413, 431, …) the client
 * may still be sending its body.  Closing at once with unread input makes
 * the kernel send a reset, which can destroy the error reply before the
 * client reads it; so the connection lingers: write side shut, input read
 * and discarded for at most worker.linger_timeout or worker.linger_max.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "auth.h"
#include "clock.h"
#include "conn.h"
#include "db.h"
#include "log.h"
#include "pool.h"
#include "workerd.h"
#include "xmalloc.h"

/* What a step of the state machine did. */
enum conn_step {
	STEP_WAIT,		/* needs the network, a timer or the pool */
	STEP_MORE,		/* made progress: run again */
	STEP_FREED,		/* the connection is gone */
};

static void	conn_run(struct conn *);
static void	conn_send(struct conn *);
static void	conn_fail(struct conn *, int, const char *);
static void	conn_free(struct conn *);
static void	conn_timer_cb(evutil_socket_t, short, void *);

/* Arms the connection's one timer with one of the worker's timeouts. */
static void
conn_set_timer(struct conn *c, enum workerd_timeout which)
{
	evtimer_add(c->timer, c->w->timeout[which]);
}

/* Forgets the request just answered, keeping the connection. */
static void
conn_reset_request(struct conn *c)
{
	free(c->head);
	free(c->path);
	free(c->query);
	free(c->ctype);
	free(c->body);
	c->head = c->path = c->query = c->ctype = c->body = NULL;
	c->body_len = c->body_cap = 0;
	c->route = NULL;
	c->head_only = 0;
	c->too_large = 0;
	c->t_start_us = 0;
	memset(&c->r, 0, sizeof c->r);
	response_clear(&c->resp);
}

static void
conn_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	conn_io_event(c, what);
	conn_run(c);
}

void
conn_accept(struct workerd *w, int fd, const char *peer)
{
	struct conn *c;

	c = xcalloc(1, sizeof *c);
	c->w = w;
	c->fd = fd;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->timer = evtimer_new(w->base, conn_timer_cb, c);
	if (c->timer == NULL || conn_io_open(c, w->base, conn_event_cb) == -1) {
		log_warnx("cannot set up connection from %s", peer);
		if (c->timer != NULL)
			event_free(c->timer);
		conn_io_close(c);
		free(c);
		return;
	}
	c->state = CONN_HEAD;
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	w->nconns++;
	w->metrics.connections_total++;
	/* A new connection owes its first head within head_timeout. */
	c->head_started = 1;
	conn_set_timer(c, TMO_HEAD);
	/* Data may already be there: the edge came before the event. */
	conn_run(c);
}

static void
conn_free(struct conn *c)
{
	struct workerd *w = c->w;

	TAILQ_REMOVE(&w->conns, c, entry);
	w->nconns--;
	event_free(c->timer);
	conn_io_close(c);
	conn_reset_request(c);
	free(c);
}

/* Copies a request-target part into a NUL-terminated string. */
static char *
conn_copy(const char *p, size_t len)
{
	return p == NULL ? NULL : xstrndup(p, len);
}

static int
conn_body_sink(void *arg, const char *data, size_t len)
{
	struct conn *c = arg;
	size_t max = (size_t)c->w->conf.worker.max_body_size;

	if (len > max - c->body_len) {
		c->too_large = 1;
		return -1;
	}
	if (c->body_len + len > c->body_cap) {
		c->body_cap = c->body_cap * 2 + len;
		if (c->body_cap > max)
			c->body_cap = max;
		c->body = xrealloc(c->body, c->body_cap + 1);
	}
	memcpy(c->body + c->body_len, data, len);
	c->body_len += len;
	return 0;
}

/* Runs on a pool thread: the only code here that is not on the event loop. */
static void
conn_job(void *arg)
{
	struct conn *c = arg;
	struct workerd *w = c->w;

	if (c->seed)
		seed_run(w, &c->r, &c->resp);
	else if (!c->route->auth ||
	    (c->r.user_id = auth_bearer(w, &c->r, &c->resp)) > 0)
		c->route->fn(w, &c->r, &c->resp);
	/* A handler that failed mid-transaction must not leave it open for
	 * the thread's next request. */
	db_release();
	pthread_mutex_lock(&w->done_lock);
	TAILQ_INSERT_TAIL(&w->done, c, done_entry);
	pthread_mutex_unlock(&w->done_lock);
	event_active(w->done_ev, EV_READ, 0);
}

/* A complete request: answer it here or hand it to the pool. */
static void
conn_dispatch(struct conn *c)
{
	struct workerd *w = c->w;
	const char *allow;
	int status;

	evtimer_del(c->timer);
	c->r.http = c->seed ? NULL : &c->req;
	c->r.path = c->path;
	c->r.query = c->query;
	c->r.body = c->body;
	c->r.body_len = c->body_len;
	c->r.content_type = c->ctype;
	c->r.peer = c->peer;

	if (!c->seed) {
		c->route = router_match(c->req.method, c->req.method_len,
		    c->path, c->r.ids, &c->r.nids, &status, &allow);
		if (c->route == NULL) {
			response_error(&c->resp, status, status == 405 ?
			    "method not allowed" : "no such resource");
			if (allow != NULL)
				response_header(&c->resp, "Allow: %s", allow);
			conn_send(c);
			return;
		}
		if (c->route->where == ROUTE_INLINE) {
			c->route->fn(w, &c->r, &c->resp);
			conn_send(c);
			return;
		}
	}
	c->state = CONN_POOL;
	w->inflight++;
	if (pool_submit(w->pool, conn_job, c) == -1) {
		w->inflight--;
		w->metrics.rejected_full++;
		if (c->seed)
			seed_busy(w, &c->resp);
		else
			response_error(&c->resp, 503,
			    "server busy: the work queue is full");
		response_header(&c->resp, "Retry-After: %lld",
		    (long long)w->conf.worker.retry_after);
		conn_send(c);
	}
}

void
conn_finish(struct conn *c)
{
	c->w->inflight--;
	conn_send(c);
	conn_run(c);
}

/* Queues the response and decides what becomes of the connection; the
 * caller's conn_run() writes it. */
static void
conn_send(struct conn *c)
{
	struct workerd *w = c->w;
	int64_t now = clock_mono_us();
	int route;

	if (c->t_start_us == 0)
		c->t_start_us = now;	/* answered before any byte came */
	c->keep_alive = !c->seed && !c->resp.close && c->req.keep_alive &&
	    !atomic_load(&w->draining) && !w->stopping;
	if (c->seed) {
		evbuffer_add(c->out, c->resp.body, c->resp.body_len);
		route = metrics_route(&w->metrics, "seed");
		w->metrics.seed_total++;
	} else {
		response_write(&c->resp, c->out, !c->keep_alive ?
		    RESPONSE_CLOSE : c->req.version_minor == 0 ?
		    RESPONSE_KEEP_10 : RESPONSE_KEEP, c->head_only,
		    w->conf.worker.id);
		route = router_metric_index(c->route);
	}
	metrics_request(&w->metrics, route, c->resp.status,
	    now - c->t_start_us, now / 1000000);
	c->nrequests++;
	conn_reset_request(c);
	c->state = CONN_WRITE;
	conn_set_timer(c, TMO_WRITE);
}

/* Answers `status` with a JSON error and closes: the framing is lost. */
static void
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

	if (c->req.content_length > w->conf.worker.max_body_size) {
		conn_fail(c, 413, "request body too large");
		return;
	}
	if (c->req.content_length > 0)
		c->body_cap = (size_t)c->req.content_length;
	c->body = xmalloc(c->body_cap + 1);
	if (c->req.chunked)
		http_chunked_init(&c->chunked,
		    (size_t)w->conf.worker.max_header_size);
	if (c->req.expect_continue && evbuffer_get_length(c->in) == 0 &&
	    (c->req.chunked || c->req.content_length > 0))
		evbuffer_add(c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	c->state = CONN_BODY;
	conn_set_timer(c, TMO_BODY);
}

/* HEAD state. */
static enum conn_step
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
	if (!c->head_started) {
		c->head_started = 1;
		conn_set_timer(c, TMO_HEAD);
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
		return STEP_WAIT;
	}
	conn_start_request(c, (size_t)hlen);
	return STEP_MORE;
}

/* BODY state. */
static enum conn_step
conn_read_body(struct conn *c)
{
	size_t avail = evbuffer_get_length(c->in), want, used;
	const char *data, *cause;
	int rc;

	if (!c->req.chunked) {
		want = (size_t)(c->req.content_length > 0 ?
		    c->req.content_length : 0) - c->body_len;
		if (want > avail)
			want = avail;
		c->body_len += (size_t)evbuffer_remove(c->in,
		    c->body + c->body_len, want);
		if ((int64_t)c->body_len < c->req.content_length)
			return STEP_WAIT;
		c->body[c->body_len] = '\0';
		conn_dispatch(c);
		return STEP_MORE;
	}
	if (avail == 0)
		return STEP_WAIT;
	data = (const char *)evbuffer_pullup(c->in, -1);
	rc = http_chunked_feed(&c->chunked, data, avail, &used, conn_body_sink,
	    c, &cause);
	evbuffer_drain(c->in, used);
	if (rc == -1) {
		if (c->too_large)
			conn_fail(c, 413, "request body too large");
		else
			conn_fail(c, 400, cause);
		return STEP_MORE;
	}
	if (rc == 0)
		return STEP_WAIT;
	c->body[c->body_len] = '\0';
	conn_dispatch(c);
	return STEP_MORE;
}

/* SEED state: one JSON object, however the client splits it. */
static enum conn_step
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
	c->body = xmalloc((size_t)end + 1);
	evbuffer_remove(c->in, c->body, (size_t)end);
	c->body[end] = '\0';
	c->body_len = (size_t)end;
	conn_dispatch(c);
	return STEP_MORE;
}

/* LINGER state: discards input until EOF, the timer or linger_max. */
static enum conn_step
conn_linger_drain(struct conn *c)
{
	size_t n = evbuffer_get_length(c->in);

	evbuffer_drain(c->in, n);
	c->lingered += n;
	if (c->eof || c->lingered > (size_t)c->w->conf.worker.linger_max) {
		conn_free(c);
		return STEP_FREED;
	}
	return STEP_WAIT;
}

/* The response is out: close, linger, or wait for the next request. */
static enum conn_step
conn_written(struct conn *c)
{
	if (c->keep_alive) {
		c->state = CONN_HEAD;
		c->head_started = 0;
		memset(&c->req, 0, sizeof c->req);
		conn_set_timer(c, TMO_KEEPALIVE);
		return STEP_MORE;
	}
	if (!c->linger || shutdown(c->fd, SHUT_WR) == -1) {
		conn_free(c);
		return STEP_FREED;
	}
	c->state = CONN_LINGER;
	conn_set_timer(c, TMO_LINGER);
	return STEP_MORE;
}

/* The client closed its side: what that means depends on the state. */
static enum conn_step
conn_eof(struct conn *c)
{
	switch (c->state) {
	case CONN_SEED:
		return conn_read_seed(c);	/* may have half-closed after it */
	case CONN_BODY:
		log_debug("%s: closed in the middle of a request body", c->peer);
		break;
	default:
		break;
	}
	conn_free(c);
	return STEP_FREED;
}

/* Bytes the input may hold: a whole head or seed object, plus a read. */
static size_t
conn_input_limit(const struct conn *c)
{
	const struct conf_worker *cw = &c->w->conf.worker;
	int64_t max = cw->max_header_size > cw->max_seed_size ?
	    cw->max_header_size : cw->max_seed_size;

	return (size_t)max + 16384;
}

static void
conn_run(struct conn *c)
{
	enum conn_step step;
	int rc;

	for (;;) {
		if ((rc = conn_io_flush(c)) == -1) {
			conn_free(c);
			return;
		}
		if (c->state == CONN_POOL)
			return;
		if (c->state == CONN_WRITE) {
			if (rc == 0)
				return;		/* the socket is full: wait */
			if (conn_written(c) == STEP_FREED)
				return;
			continue;
		}
		if (conn_io_read(c, conn_input_limit(c)) == -1) {
			conn_free(c);
			return;
		}
		switch (c->state) {
		case CONN_HEAD:
			step = conn_read_head(c);
			break;
		case CONN_BODY:
			step = conn_read_body(c);
			break;
		case CONN_SEED:
			step = conn_read_seed(c);
			break;
		case CONN_LINGER:
			step = conn_linger_drain(c);
			break;
		default:
			step = STEP_WAIT;
			break;
		}
		if (step == STEP_FREED)
			return;
		if (step == STEP_WAIT && c->eof &&
		    (c->state == CONN_HEAD || c->state == CONN_BODY ||
		    c->state == CONN_SEED)) {
			if (conn_eof(c) == STEP_FREED)
				return;
			continue;
		}
		if (step == STEP_WAIT && !(c->readable &&
		    evbuffer_get_length(c->in) < conn_input_limit(c)))
			return;
	}
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	switch (c->state) {
	case CONN_HEAD:
		if (c->nrequests > 0 && evbuffer_get_length(c->in) == 0) {
			conn_free(c);	/* idle keep-alive: a quiet close */
			return;
		}
		conn_fail(c, 408, "timed out reading the request head");
		break;
	case CONN_BODY:
		conn_fail(c, 408, "timed out reading the request body");
		break;
	case CONN_SEED:
		seed_refuse(c->w, &c->resp, "Tiempo de espera agotado");
		conn_send(c);
		break;
	case CONN_WRITE:
		log_debug("%s: write timed out", c->peer);
		conn_free(c);
		return;
	case CONN_LINGER:
		conn_free(c);
		return;
	case CONN_POOL:
		return;
	}
	conn_run(c);
}

void
conn_close_idle(struct workerd *w)
{
	struct conn *c, *next;

	for (c = TAILQ_FIRST(&w->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state == CONN_HEAD && c->nrequests > 0 &&
		    evbuffer_get_length(c->in) == 0)
			conn_free(c);
	}
}

void
conn_free_all(struct workerd *w)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&w->conns)) != NULL)
		conn_free(c);
}
