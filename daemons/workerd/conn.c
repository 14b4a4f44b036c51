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
 * the connection), the body's checks, the write timeout.  A body has a
 * whole-body deadline and a minimum rate (body-clock.h); bytes arriving
 * never push either back, so a trickling client is cut with a 408.
 *
 * A ROUTE_STREAM request (an upload) goes to an upload thread as soon as
 * its head is read, and its body follows through a bounded pipe
 * (stream.c) while the handler sends it on.  Upload threads are their own
 * pool (uploads.max_per_worker; one more upload is refused 503 at once),
 * and one user may hold uploads.max_per_user of them (429): an upload
 * waits on its client for as long as the body takes, and those waits
 * never take a thread of the pool that serves tasks, logins and
 * downloads.  A pool handler may likewise stream its
 * response body out (response_stream_begin).  Meanwhile the connection is
 * in CONN_POOL, and conn_pump() moves the bytes.  A connection that dies
 * while a pool thread holds it is only marked dead: the pool thread's
 * next read or write of the pipe fails, and the connection is freed when
 * the thread hands it back.
 *
 * A handler may also park its request (response_park): the connection
 * waits in CONN_PARKED, holding no pool thread, until conn_wake_parked()
 * or its deadline runs the handler again.
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
#include "stream.h"
#include "upload-limit.h"
#include "workerd.h"
#include "xmalloc.h"

/* What a step of the state machine did. */
enum conn_step {
	STEP_WAIT,		/* needs the network, a timer or the pool */
	STEP_MORE,		/* made progress: run again */
	STEP_FREED,		/* the connection is gone */
};

/* Response body bytes moved from a stream to the socket buffer at once. */
#define CONN_OUT_CHUNK	(64 * 1024)

static void	conn_run(struct conn *);
static void	conn_send(struct conn *);
static void	conn_send_head(struct conn *);
static void	conn_sent(struct conn *);
static void	conn_close(struct conn *);
static size_t	conn_input_limit(const struct conn *);
static void	conn_fail(struct conn *, int, const char *);
static void	conn_free(struct conn *);
static void	conn_timer_cb(evutil_socket_t, short, void *);

/* Arms the connection's one timer with one of the worker's timeouts. */
static void
conn_set_timer(struct conn *c, enum workerd_timeout which)
{
	evtimer_add(c->timer, c->w->timeout[which]);
}

/* Arms the connection's timer for the next check of the body being read. */
static void
conn_body_timer(struct conn *c)
{
	int64_t ms = body_clock_next(&c->bclock, clock_mono_ms());
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/* The head is read: the body's deadline and rate windows start now. */
static void
conn_body_start(struct conn *c)
{
	body_clock_start(&c->bclock, &c->w->conf.worker, clock_mono_ms());
	conn_body_timer(c);
}

/* A check of the body is due: 0 while it may go on (the timer is armed
 * again), -1 with *cause when it must be cut. */
static int
conn_body_check(struct conn *c, const char **cause)
{
	if (body_clock_check(&c->bclock, clock_mono_ms(), cause) == -1)
		return -1;
	conn_body_timer(c);
	return 0;
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
	stream_free(c->in_stream);
	stream_free(c->out_stream);
	c->in_stream = c->out_stream = NULL;
	c->in_fed = c->out_sent = 0;
	c->in_done = c->head_sent = 0;
	atomic_store(&c->out_ready, 0);
	c->route_status = 0;
	c->route_allow[0] = '\0';
	memset(&c->bclock, 0, sizeof c->bclock);
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

	if (c->state == CONN_PARKED) {
		TAILQ_REMOVE(&w->parked, c, park_entry);
		w->nparked--;
	}
	TAILQ_REMOVE(&w->conns, c, entry);
	w->nconns--;
	event_free(c->timer);
	if (c->stream_ev != NULL)
		event_free(c->stream_ev);
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

/*
 * An upload on its upload thread, once its user is known: refused with a
 * 429 when that user has uploads.max_per_user running already.  The body
 * is left unread, so conn_finish() closes the connection after the reply.
 */
static void
conn_upload(struct workerd *w, struct conn *c)
{
	int64_t user = c->r.user_id;

	if (user > 0 && upload_limit_enter(w->upload_limit, user) == -1) {
		response_error(&c->resp, 429, "too many uploads in flight for "
		    "this user: at most %lld at once",
		    (long long)w->conf.uploads.max_per_user);
		response_header(&c->resp, "Retry-After: %lld",
		    (long long)w->conf.worker.retry_after);
		c->resp.close = 1;
		return;
	}
	c->route->fn(w, &c->r, &c->resp);
	if (user > 0)
		upload_limit_leave(w->upload_limit, user);
}

/* Runs on a pool or upload thread: the only code here that is not on the
 * event loop. */
static void
conn_job(void *arg)
{
	struct conn *c = arg;
	struct workerd *w = c->w;

	if (c->seed)
		seed_run(w, &c->r, &c->resp);
	else if (!c->route->auth ||
	    (c->r.user_id = auth_bearer(w, &c->r, &c->resp)) > 0) {
		if (c->route->where == ROUTE_STREAM)
			conn_upload(w, c);
		else
			c->route->fn(w, &c->r, &c->resp);
	}
	/* A handler that failed mid-transaction must not leave it open for
	 * the thread's next request. */
	db_release();
	pthread_mutex_lock(&w->done_lock);
	TAILQ_INSERT_TAIL(&w->done, c, done_entry);
	pthread_mutex_unlock(&w->done_lock);
	event_active(w->done_ev, EV_READ, 0);
}

static void
conn_stream_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_run(arg);
}

/*
 * response_stream_begin() on the pool thread: makes the pipe of the
 * response body and wakes the event thread to send the head.
 */
static int
conn_stream_open(struct response *r, void *arg)
{
	struct conn *c = arg;

	c->out_stream = stream_new((size_t)c->w->conf.worker.stream_buffer,
	    c->stream_ev);
	r->stream = c->out_stream;
	if (c->head_only)
		stream_close(c->out_stream, 0, NULL);	/* no body to send */
	atomic_store(&c->out_ready, 1);
	/* Paired with conn_close(): one of the two sees the other. */
	if (atomic_load(&c->dead))
		stream_close(c->out_stream, 500, "the client went away");
	event_active(c->stream_ev, EV_READ, 0);
	return 0;
}

/* Refuses a request with 503 and Retry-After: no thread can take it.  A
 * body still coming is left unread, so the connection closes after. */
static void
conn_busy(struct conn *c, const char *why)
{
	struct workerd *w = c->w;

	if (c->in_stream != NULL) {
		c->resp.close = 1;
		c->linger = 1;
	}
	if (c->seed)
		seed_busy(w, &c->resp);
	else
		response_error(&c->resp, 503, "server busy: %s", why);
	response_header(&c->resp, "Retry-After: %lld",
	    (long long)w->conf.worker.retry_after);
	conn_send(c);
}

/* A request ready for its handler: answer it here or hand it to a thread
 * (a ROUTE_STREAM request comes here before its body). */
static void
conn_dispatch(struct conn *c)
{
	struct workerd *w = c->w;
	struct pool *pool = w->pool;

	evtimer_del(c->timer);
	c->r.http = c->seed ? NULL : &c->req;
	c->r.path = c->path;
	c->r.query = c->query;
	c->r.body = c->body;
	c->r.body_len = c->body_len;
	c->r.content_type = c->ctype;
	c->r.peer = c->peer;

	if (!c->seed) {
		if (c->route == NULL) {
			response_error(&c->resp, c->route_status,
			    c->route_status == 405 ?
			    "method not allowed" : "no such resource");
			if (c->route_status == 405)
				response_header(&c->resp, "Allow: %s",
				    c->route_allow);
			conn_send(c);
			return;
		}
		if (c->route->where == ROUTE_INLINE) {
			c->route->fn(w, &c->r, &c->resp);
			conn_send(c);
			return;
		}
		/* A dependency it needs is down: 503 now, no pool thread. */
		if (router_gate(w, c->route->needs, &c->resp)) {
			if (c->in_stream != NULL) {
				c->resp.close = 1;	/* its body is unread */
				c->linger = 1;
			}
			conn_send(c);
			return;
		}
	}
	if (c->stream_ev == NULL &&
	    (c->stream_ev = event_new(w->base, -1, 0, conn_stream_cb, c)) ==
	    NULL)
		fatalx("out of memory");
	c->resp.stream_open = conn_stream_open;
	c->resp.stream_arg = c;
	if (!c->seed && c->route->where == ROUTE_STREAM) {
		if (w->uploads >= w->conf.uploads.max_per_worker) {
			conn_busy(c, "too many uploads in flight");
			return;
		}
		pool = w->upload_pool;
		c->upload = 1;
		w->uploads++;
	}
	c->state = CONN_POOL;
	c->on_pool = 1;
	w->inflight++;
	if (pool_submit(pool, conn_job, c) == -1) {
		c->on_pool = 0;
		w->inflight--;
		if (c->upload) {
			c->upload = 0;
			w->uploads--;
		} else
			w->metrics.rejected_full++;
		conn_busy(c, "the work queue is full");
	}
}

/* The handler waits for an event (response_park): off the pool until it
 * comes or the deadline passes. */
static void
conn_park(struct conn *c)
{
	struct workerd *w = c->w;
	struct timeval tv;
	int64_t now = clock_mono_ms(), ms;

	c->r.wait_until_ms = c->resp.park_until_ms;
	c->park_user = c->resp.park_user;
	response_clear(&c->resp);
	if (w->stopping || c->r.wait_until_ms <= now) {
		/* Run again at once with the deadline passed: it answers. */
		c->r.wait_until_ms = 1;
		conn_dispatch(c);
		return;
	}
	ms = c->r.wait_until_ms - now;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
	c->state = CONN_PARKED;
	TAILQ_INSERT_TAIL(&w->parked, c, park_entry);
	w->nparked++;
}

/* A parked request runs again: woken, or its deadline passed. */
static void
conn_unpark(struct conn *c)
{
	struct workerd *w = c->w;

	TAILQ_REMOVE(&w->parked, c, park_entry);
	w->nparked--;
	evtimer_del(c->timer);
	c->t_start_us = clock_mono_us();	/* waiting is not latency */
	conn_dispatch(c);
	conn_run(c);
}

void
conn_wake_parked(struct workerd *w, int64_t user)
{
	struct conn *c, *next;

	for (c = TAILQ_FIRST(&w->parked); c != NULL; c = next) {
		next = TAILQ_NEXT(c, park_entry);
		if (user == 0 || c->park_user == user)
			conn_unpark(c);
	}
}

void
conn_finish(struct conn *c)
{
	int status = 0;

	c->w->inflight--;
	c->on_pool = 0;
	if (c->upload) {
		c->upload = 0;
		c->w->uploads--;
	}
	if (atomic_load(&c->dead)) {
		conn_free(c);
		return;
	}
	if (c->resp.park_until_ms > 0) {
		conn_park(c);
		if (c->state != CONN_PARKED)
			conn_run(c);
		return;
	}
	if (c->in_stream != NULL) {
		/*
		 * A handler that answered before the end of its body (a
		 * refusal, a failed upload) leaves the rest unread: the
		 * connection cannot carry another request.
		 */
		if (!c->in_done)
			stream_close(c->in_stream, 400,
			    "the body was not read to its end");
		c->in_done = 1;
		stream_closed(c->in_stream, &status, NULL);
		if (status != 0) {
			c->resp.close = 1;
			c->linger = 1;
		}
	}
	if (atomic_load(&c->out_ready)) {
		stream_close(c->out_stream, 0, NULL);
		c->state = CONN_STREAM_OUT;
		conn_run(c);
		return;
	}
	conn_send(c);
	conn_run(c);
}

/* Queues the response and decides what becomes of the connection; the
 * caller's conn_run() writes it. */
static void
conn_send(struct conn *c)
{
	conn_send_head(c);
	conn_sent(c);
}

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
	int64_t now = clock_mono_us();
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

	if (c->req.content_length > w->conf.files.max_size) {
		conn_fail(c, 413, "request body too large");
		return;
	}
	if (c->req.chunked)
		http_chunked_init(&c->chunked,
		    (size_t)w->conf.worker.max_header_size);
	if (c->stream_ev == NULL &&
	    (c->stream_ev = event_new(w->base, -1, 0, conn_stream_cb, c)) ==
	    NULL)
		fatalx("out of memory");
	c->in_stream = stream_new((size_t)w->conf.worker.stream_buffer,
	    c->stream_ev);
	c->r.body_stream = c->in_stream;
	c->r.body_length = c->req.chunked ? -1 :
	    c->req.content_length > 0 ? c->req.content_length : 0;
	if (!c->req.chunked && c->req.content_length <= 0) {
		stream_close(c->in_stream, 0, NULL);
		c->in_done = 1;
	}
	conn_continue(c);
	conn_dispatch(c);
	if (c->state == CONN_POOL && !c->in_done)
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
	conn_continue(c);
	c->state = CONN_BODY;
	conn_body_start(c);
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
		want = (size_t)evbuffer_remove(c->in, c->body + c->body_len,
		    want);
		c->body_len += want;
		body_clock_add(&c->bclock, (int64_t)want);
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
	body_clock_add(&c->bclock, (int64_t)used);
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

/* Puts decoded chunked-body bytes into the request's pipe. */
static int
conn_stream_sink(void *arg, const char *data, size_t len)
{
	struct conn *c = arg;

	if ((int64_t)len > c->w->conf.files.max_size - c->in_fed) {
		c->too_large = 1;
		return -1;
	}
	stream_put(c->in_stream, data, len);
	c->in_fed += (int64_t)len;
	return 0;
}

/* Ends the body on its way in: 0 when complete, else an error status. */
static void
conn_feed_end(struct conn *c, int status, const char *cause)
{
	stream_close(c->in_stream, status, cause);
	c->in_done = 1;
	evtimer_del(c->timer);
}

/*
 * Moves body bytes from the input to the request's pipe, as many as it
 * has room for: what the pipe cannot take stays in the kernel's buffers,
 * which slows the client down (TCP flow control) instead of growing ours.
 */
static enum conn_step
conn_feed(struct conn *c)
{
	size_t room, avail, n, used;
	const char *data, *cause;
	int rc;

	if ((room = stream_room(c->in_stream)) == 0) {
		if (!stream_pause_put(c->in_stream))
			return STEP_MORE;
		/* The handler is slow, not the client: no rate check now. */
		body_clock_pause(&c->bclock);
		conn_body_timer(c);
		return STEP_WAIT;
	}
	if (c->bclock.paused) {
		body_clock_resume(&c->bclock, clock_mono_ms());
		conn_body_timer(c);
	}
	if (conn_io_read(c, conn_input_limit(c)) == -1) {
		conn_close(c);
		return STEP_FREED;
	}
	if ((avail = evbuffer_get_length(c->in)) == 0) {
		if (c->eof)
			conn_feed_end(c, 400, "the connection closed in the "
			    "middle of the request body");
		return STEP_WAIT;
	}
	n = avail < room ? avail : room;
	if (!c->req.chunked) {
		if ((int64_t)n > c->req.content_length - c->in_fed)
			n = (size_t)(c->req.content_length - c->in_fed);
		data = (const char *)evbuffer_pullup(c->in, (ev_ssize_t)n);
		stream_put(c->in_stream, data, n);
		evbuffer_drain(c->in, n);
		c->in_fed += (int64_t)n;
		body_clock_add(&c->bclock, (int64_t)n);
		rc = c->in_fed == c->req.content_length;
	} else {
		data = (const char *)evbuffer_pullup(c->in, (ev_ssize_t)n);
		rc = http_chunked_feed(&c->chunked, data, n, &used,
		    conn_stream_sink, c, &cause);
		evbuffer_drain(c->in, used);
		body_clock_add(&c->bclock, (int64_t)used);
		if (rc == -1) {
			if (c->too_large)
				conn_feed_end(c, 413, "request body too large");
			else
				conn_feed_end(c, 400, cause);
			return STEP_WAIT;
		}
	}
	if (rc == 1)
		conn_feed_end(c, 0, NULL);
	return STEP_MORE;
}

/*
 * Moves a streamed response body from its pipe to the socket.  `flushed`
 * says the socket took all the output so far.
 */
static enum conn_step
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

/* While a pool thread holds the request: its streamed bodies move. */
static enum conn_step
conn_pump(struct conn *c, int flushed)
{
	enum conn_step step = STEP_WAIT;

	if (c->in_stream != NULL && !c->in_done &&
	    (step = conn_feed(c)) == STEP_FREED)
		return step;
	if (atomic_load(&c->out_ready) &&
	    conn_drain_out(c, flushed) == STEP_MORE)
		step = STEP_MORE;
	return step;
}

/*
 * The connection cannot go on (a socket error, a timeout).  When a pool
 * thread holds it, the pipes are closed so that thread stops waiting on
 * them, and the connection is freed when the thread hands it back.
 */
static void
conn_close(struct conn *c)
{
	if (!c->on_pool) {
		conn_free(c);
		return;
	}
	atomic_store(&c->dead, 1);
	if (c->in_stream != NULL)
		stream_close(c->in_stream, 400, "the connection was lost");
	/* Paired with conn_stream_open(): one of the two sees the other. */
	if (atomic_load(&c->out_ready))
		stream_close(c->out_stream, 500, "the client went away");
	evtimer_del(c->timer);
	conn_io_close(c);
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
		if (atomic_load(&c->dead))
			return;
		if ((rc = conn_io_flush(c)) == -1) {
			conn_close(c);
			return;
		}
		if (c->state == CONN_PARKED) {
			/* Only a client that went away ends the wait early. */
			if (c->rdhup)
				conn_free(c);
			return;
		}
		if (c->state == CONN_POOL || c->state == CONN_STREAM_OUT) {
			if ((step = conn_pump(c, rc)) == STEP_MORE)
				continue;
			return;
		}
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
	const char *cause;

	switch (c->state) {
	case CONN_HEAD:
		if (c->nrequests > 0 && evbuffer_get_length(c->in) == 0) {
			conn_free(c);	/* idle keep-alive: a quiet close */
			return;
		}
		conn_fail(c, 408, "timed out reading the request head");
		break;
	case CONN_BODY:
		if (conn_body_check(c, &cause) == 0)
			return;
		conn_fail(c, 408, cause);
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
		if (c->in_stream != NULL && !c->in_done) {
			/* The handler answers the 408 it reads. */
			if (conn_body_check(c, &cause) == -1)
				conn_feed_end(c, 408, cause);
			return;
		}
		if (c->head_sent) {
			log_debug("%s: write timed out", c->peer);
			conn_close(c);
		}
		return;
	case CONN_STREAM_OUT:
		log_debug("%s: write timed out", c->peer);
		conn_free(c);
		return;
	case CONN_PARKED:
		conn_unpark(c);
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
