/*
 * conn.c — the life of a client connection, on the event thread.
 *
 *   HEAD ──head parsed──> BODY ──body complete──> (inline handler) ──┐
 *    ^  \                                  \──> POOL ──hand-back────>┤
 *    |   '{' as first byte ─> SEED ─> POOL                           v
 *    └──────── keep-alive, output flushed ──────────────────────── WRITE
 *
 * The connection moves bytes and runs this state machine; what is done
 * with a request is not its business.  Its files:
 *   conn.c       the states, the run loop, the timer, closing;
 *   conn-read.c  reading a head, a body (through body-pump.h) or a seed
 *                object;
 *   conn-pool.c  handing a request to a pool thread (where route_run()
 *                authenticates it, runs its handler and releases what it
 *                held) and taking it back, parked requests;
 *   conn-send.c  writing a response, streamed or not;
 *   conn-io.c    the socket.
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
 * and one user may hold uploads.max_per_user of them (429, route-run.c):
 * an upload waits on its client for as long as the body takes, and those
 * waits never take a thread of the pool that serves tasks, logins and
 * downloads.  A pool handler may likewise stream its response body out
 * (response_stream_begin).  Meanwhile the connection is in CONN_POOL, and
 * conn_pump() moves the bytes.  A connection that dies while a pool
 * thread holds it is only marked dead: the pool thread's next read or
 * write of the pipe fails, and the connection is freed when the thread
 * hands it back.
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

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "clock.h"
#include "conn-int.h"
#include "log.h"
#include "stream.h"
#include "xmalloc.h"

static void	conn_timer_cb(evutil_socket_t, short, void *);

void
conn_set_timer(struct conn *c, enum workerd_timeout which)
{
	evtimer_add(c->timer, c->w->timeout[which]);
}

void
conn_body_timer(struct conn *c)
{
	struct timeval tv;

	clock_timeval(&tv, body_clock_next(&c->pump.clock, clock_mono_ms()));
	evtimer_add(c->timer, &tv);
}

void
conn_body_start(struct conn *c)
{
	body_clock_start(&c->pump.clock, &c->w->conf.worker, clock_mono_ms());
	conn_body_timer(c);
}

/* A check of the body is due: 0 while it may go on (the timer is armed
 * again), -1 with *cause when it must be cut. */
static int
conn_body_check(struct conn *c, const char **cause)
{
	if (body_clock_check(&c->pump.clock, clock_mono_ms(), cause) == -1)
		return -1;
	conn_body_timer(c);
	return 0;
}

void
conn_feed_end(struct conn *c, int status, const char *cause)
{
	body_pump_end(&c->pump, status, cause);
	evtimer_del(c->timer);
}

void
conn_reset_request(struct conn *c)
{
	free(c->head);
	free(c->path);
	free(c->query);
	free(c->ctype);
	c->head = c->path = c->query = c->ctype = NULL;
	body_pump_clear(&c->pump);
	c->route = NULL;
	c->head_only = 0;
	c->t_start_us = 0;
	stream_free(c->out_stream);
	c->out_stream = NULL;
	c->out_sent = 0;
	c->head_sent = 0;
	atomic_store(&c->out_ready, 0);
	c->direct = 0;
	c->replied = 0;
	c->t_done_us = 0;
	c->route_status = 0;
	c->route_allow[0] = '\0';
	memset(&c->r, 0, sizeof c->r);
	response_clear(&c->resp);
}

static void
conn_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	conn_io_event(c, what);
	/*
	 * A pool thread that wrote its reply itself hands the connection
	 * back without waking this thread: the client's next request (or
	 * its FIN) is what brings it back here, so take it back first.
	 * Either this exchange or the pool thread's sees the other
	 * (conn-pool.c): an event that comes before the reply is out makes
	 * the pool thread wake this thread instead.  When taken back, it
	 * ran, and may be gone.
	 */
	if (c->state == CONN_POOL && c->direct &&
	    atomic_exchange(&c->direct_state, DIRECT_SEEN) == DIRECT_DONE) {
		if (conn_settle(c->w, c))
			return;
	} else if (atomic_load_explicit(&c->w->done_quiet,
	    memory_order_relaxed) > 0 && conn_collect(c->w, c))
		return;
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

void
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

/* While a pool thread holds the request: its streamed bodies move. */
static enum conn_step
conn_pump(struct conn *c, int flushed)
{
	enum conn_step step = STEP_WAIT;

	if (c->pump.pipe != NULL && !c->pump.done &&
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
void
conn_close(struct conn *c)
{
	if (!c->on_pool) {
		conn_free(c);
		return;
	}
	atomic_store(&c->dead, 1);
	if (c->pump.pipe != NULL)
		stream_close(c->pump.pipe, 400, "the connection was lost");
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

/*
 * Clears the parsed head before the next request on the connection, all
 * but the header array: it is 256 entries (several KiB) that nothing reads
 * past `nheaders`, and zeroing it cost more than the rest of a /healthz
 * request.
 */
static void
conn_forget_head(struct http_request *req)
{
	memset(req, 0, offsetof(struct http_request, headers));
	memset(&req->nheaders, 0,
	    sizeof *req - offsetof(struct http_request, nheaders));
}

/* The response is out: close, linger, or wait for the next request. */
static enum conn_step
conn_written(struct conn *c)
{
	if (c->keep_alive) {
		c->state = CONN_HEAD;
		c->head_started = 0;
		conn_forget_head(&c->req);
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

size_t
conn_input_limit(const struct conn *c)
{
	const struct conf_worker *cw = &c->w->conf.worker;
	int64_t max = cw->max_header_size > cw->max_seed_size ?
	    cw->max_header_size : cw->max_seed_size;

	return (size_t)max + 16384;
}

/*
 * A reply the socket did not take at once: write_timeout counts from
 * now.  conn_sent() left no timer pending, so a pending one is this
 * reply's, armed on an earlier partial write, and keeps its deadline.
 */
static void
conn_write_wait(struct conn *c)
{
	if (!evtimer_pending(c->timer, NULL))
		conn_set_timer(c, TMO_WRITE);
}

void
conn_run(struct conn *c)
{
	enum conn_step step;
	int rc;

	for (;;) {
		if (atomic_load(&c->dead))
			return;
		/* A direct request's pool thread owns the output. */
		if (c->state == CONN_POOL && c->direct &&
		    !atomic_load(&c->out_ready))
			rc = 1;
		else if ((rc = conn_io_flush(c)) == -1) {
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
			if (rc == 0) {
				conn_write_wait(c);
				return;		/* the socket is full: wait */
			}
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
		if (c->pump.pipe != NULL && !c->pump.done) {
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
