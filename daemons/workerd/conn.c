/*
 * conn.c — the life of a client connection, on the event thread.
 *
 *   HEAD ──head parsed──> BODY ──body complete──> (inline handler) ──┐
 *    ^  \                                  \──> POOL ──done_ev──────>┤
 *    |   '{' as first byte ─> SEED ─> POOL                           v
 *    └──────── keep-alive, output drained ─────────────────────── WRITE
 *
 * One timer per connection carries the deadline of the current state:
 * keep-alive idleness before the first byte of a head, then the head
 * timeout (a whole-head deadline, so a client trickling bytes cannot hold
 * the connection), the body timeout, the write timeout.  Reading is
 * disabled while a request is on the pool or being written: a client that
 * pipelines requests waits in the kernel's buffers, not in ours.
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
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "pool.h"
#include "workerd.h"
#include "xmalloc.h"

static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
static void	conn_timer_cb(evutil_socket_t, short, void *);
static void	conn_process(struct conn *);
static void	conn_send(struct conn *);
static void	conn_fail(struct conn *, int, const char *);
static void	conn_free(struct conn *);

static void
conn_set_timer(struct conn *c, int64_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(c->timer, &tv);
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

void
conn_accept(struct workerd *w, int fd, const char *peer)
{
	struct conn *c;

	c = xcalloc(1, sizeof *c);
	c->w = w;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warnx("cannot set up connection from %s", peer);
		close(fd);
		free(c);
		return;
	}
	c->timer = evtimer_new(w->base, conn_timer_cb, c);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_enable(c->bev, EV_READ);
	c->state = CONN_HEAD;
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	w->nconns++;
	w->metrics.connections_total++;
	/* A new connection owes its first head within head_timeout. */
	c->head_started = 1;
	conn_set_timer(c, w->conf.worker.head_timeout);
}

static void
conn_free(struct conn *c)
{
	struct workerd *w = c->w;

	TAILQ_REMOVE(&w->conns, c, entry);
	w->nconns--;
	event_free(c->timer);
	bufferevent_free(c->bev);
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
	else
		c->route->fn(w, &c->r, &c->resp);
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

	if (!c->seed) {
		c->route = router_match(c->req.method, c->req.method_len,
		    c->path, &status, &allow);
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
	bufferevent_disable(c->bev, EV_READ);
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
	if (c->gone) {
		conn_free(c);
		return;
	}
	conn_send(c);
}

/* Writes the response and decides what becomes of the connection. */
static void
conn_send(struct conn *c)
{
	struct workerd *w = c->w;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	int64_t now = clock_mono_us();
	int route;

	if (c->t_start_us == 0)
		c->t_start_us = now;	/* answered before any byte came */
	c->keep_alive = !c->seed && !c->resp.close && c->req.keep_alive &&
	    !atomic_load(&w->draining) && !w->stopping;
	if (c->seed) {
		evbuffer_add(out, c->resp.body, c->resp.body_len);
		route = metrics_route(&w->metrics, "seed");
		w->metrics.seed_total++;
	} else {
		response_write(&c->resp, out, c->keep_alive, c->head_only,
		    w->conf.worker.id);
		route = router_metric_index(c->route);
	}
	metrics_request(&w->metrics, route, c->resp.status,
	    now - c->t_start_us, now / 1000000);
	c->nrequests++;
	conn_reset_request(c);
	c->state = CONN_WRITE;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_enable(c->bev, EV_WRITE);
	conn_set_timer(c, w->conf.worker.write_timeout);
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
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const struct http_header *h;
	const char *cause;
	int status;

	c->head = xmalloc(hlen + 1);
	evbuffer_remove(in, c->head, hlen);
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
	if (c->req.expect_continue && evbuffer_get_length(in) == 0 &&
	    (c->req.chunked || c->req.content_length > 0))
		evbuffer_add_printf(bufferevent_get_output(c->bev),
		    "HTTP/1.1 100 Continue\r\n\r\n");
	c->state = CONN_BODY;
	conn_set_timer(c, w->conf.worker.body_timeout);
}

/* HEAD state: returns 1 when it made progress, 0 when it needs bytes. */
static int
conn_read_head(struct conn *c)
{
	struct workerd *w = c->w;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail = evbuffer_get_length(in);
	size_t max = (size_t)w->conf.worker.max_header_size;
	size_t n;
	const char *data;
	ssize_t hlen;

	if (avail == 0)
		return 0;
	if (c->t_start_us == 0)
		c->t_start_us = clock_mono_us();	/* latency counts from here */
	if (c->nrequests == 0 && !c->seed) {
		data = (const char *)evbuffer_pullup(in, 1);
		if (data[0] == '{') {
			c->seed = 1;
			c->state = CONN_SEED;
			memset(&c->seed_scan, 0, sizeof c->seed_scan);
			return 1;
		}
	}
	if (!c->head_started) {
		c->head_started = 1;
		conn_set_timer(c, w->conf.worker.head_timeout);
	}
	n = avail < max ? avail : max;
	data = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
	hlen = http_head_length(data, n);
	if (hlen < 0) {
		conn_fail(c, 400, "bare CR or LF in the request head");
		return 1;
	}
	if (hlen == 0) {
		if (n >= max) {
			conn_fail(c, 431, "request head too large");
			return 1;
		}
		return 0;
	}
	conn_start_request(c, (size_t)hlen);
	return 1;
}

/* BODY state: returns 1 when it made progress, 0 when it needs bytes. */
static int
conn_read_body(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail = evbuffer_get_length(in), want, used;
	const char *data, *cause;
	int rc;

	if (!c->req.chunked) {
		want = (size_t)(c->req.content_length > 0 ?
		    c->req.content_length : 0) - c->body_len;
		if (want > avail)
			want = avail;
		c->body_len += (size_t)evbuffer_remove(in,
		    c->body + c->body_len, want);
		if ((int64_t)c->body_len < c->req.content_length)
			return 0;
		c->body[c->body_len] = '\0';
		conn_dispatch(c);
		return 1;
	}
	if (avail == 0)
		return 0;
	data = (const char *)evbuffer_pullup(in, -1);
	rc = http_chunked_feed(&c->chunked, data, avail, &used, conn_body_sink,
	    c, &cause);
	evbuffer_drain(in, used);
	if (rc == -1) {
		if (c->too_large)
			conn_fail(c, 413, "request body too large");
		else
			conn_fail(c, 400, cause);
		return 1;
	}
	if (rc == 0)
		return 0;
	c->body[c->body_len] = '\0';
	conn_dispatch(c);
	return 1;
}

/* SEED state: one JSON object, however the client splits it. */
static int
conn_read_seed(struct conn *c, int eof)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail = evbuffer_get_length(in);
	size_t max = (size_t)c->w->conf.worker.max_seed_size;
	const char *data;
	ssize_t end;

	data = (const char *)evbuffer_pullup(in, -1);
	end = seed_scan(&c->seed_scan, data, avail < max ? avail : max);
	if (end == 0 && avail < max && !eof)
		return 0;
	if (end <= 0) {
		/* Malformed, oversized or cut short: still one JSON reply. */
		seed_refuse(c->w, &c->resp, end < 0 ? "JSON inválido" :
		    avail >= max ? "Tarea demasiado grande" : "Tarea incompleta");
		conn_send(c);
		return 1;
	}
	c->body = xmalloc((size_t)end + 1);
	evbuffer_remove(in, c->body, (size_t)end);
	c->body[end] = '\0';
	c->body_len = (size_t)end;
	conn_dispatch(c);
	return 1;
}

/* LINGER state: discards input; closes once the client sent too much. */
static void
conn_linger_drain(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t n = evbuffer_get_length(in);

	evbuffer_drain(in, n);
	c->lingered += n;
	if (c->lingered > (size_t)c->w->conf.worker.linger_max)
		conn_free(c);
}

/* Shuts the write side and waits for the client to finish or go. */
static void
conn_linger(struct conn *c)
{
	c->state = CONN_LINGER;
	if (shutdown(bufferevent_getfd(c->bev), SHUT_WR) == -1) {
		conn_free(c);
		return;
	}
	conn_set_timer(c, c->w->conf.worker.linger_timeout);
	bufferevent_enable(c->bev, EV_READ);
	conn_linger_drain(c);
}

static void
conn_process(struct conn *c)
{
	int progress = 1;

	while (progress) {
		switch (c->state) {
		case CONN_HEAD:
			progress = conn_read_head(c);
			break;
		case CONN_BODY:
			progress = conn_read_body(c);
			break;
		case CONN_SEED:
			progress = conn_read_seed(c, 0);
			break;
		case CONN_LINGER:
			conn_linger_drain(c);
			return;
		case CONN_POOL:
		case CONN_WRITE:
			progress = 0;
			break;
		}
	}
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	conn_process(arg);
}

/* The output drained: the response is out. */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->state != CONN_WRITE)
		return;
	if (!c->keep_alive) {
		if (c->linger)
			conn_linger(c);
		else
			conn_free(c);
		return;
	}
	c->state = CONN_HEAD;
	c->head_started = 0;
	memset(&c->req, 0, sizeof c->req);
	conn_set_timer(c, c->w->conf.worker.keepalive_timeout);
	bufferevent_enable(c->bev, EV_READ);
	conn_process(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if ((what & BEV_EVENT_EOF) && c->state == CONN_SEED) {
		/* The seed client may half-close after its object. */
		conn_read_seed(c, 1);
		return;
	}
	if (c->state == CONN_POOL) {
		c->gone = 1;	/* freed when the pool hands it back */
		return;
	}
	if ((what & BEV_EVENT_EOF) && c->state == CONN_BODY)
		log_debug("%s: closed in the middle of a request body", c->peer);
	conn_free(c);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(c->bev);

	switch (c->state) {
	case CONN_HEAD:
		if (c->nrequests > 0 && evbuffer_get_length(in) == 0) {
			conn_free(c);	/* idle keep-alive: a quiet close */
			return;
		}
		conn_fail(c, 408, "timed out reading the request head");
		return;
	case CONN_BODY:
		conn_fail(c, 408, "timed out reading the request body");
		return;
	case CONN_SEED:
		seed_refuse(c->w, &c->resp, "Tiempo de espera agotado");
		conn_send(c);
		return;
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
}

void
conn_close_idle(struct workerd *w)
{
	struct conn *c, *next;

	for (c = TAILQ_FIRST(&w->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state == CONN_HEAD && c->nrequests > 0 &&
		    evbuffer_get_length(bufferevent_get_input(c->bev)) == 0)
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
