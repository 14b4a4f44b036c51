/*
 * conn-pool.c — a request between the connection and a thread: handing it
 * to the pool (or the upload threads) with route_run() as the job, taking
 * it back when the job is done, and parking it off the pool while its
 * handler waits for an event (response_park).
 *
 * Handing a request to a sleeping thread and back costs two wake-ups: a
 * futex for the pool thread, then an eventfd write, an epoll return and a
 * read for the event thread, which through a load balancer (each worker
 * seeing a share of the requests, its event thread asleep in between)
 * was most of a cheap task's cost.  So a request handed over with nothing
 * else pending on its connection (no body still coming, no bytes read
 * ahead, nothing left to write: `direct`) has its reply written by the
 * pool thread itself, which then hands the connection back quietly: into
 * the done list, no wake-up.  What takes it back is the next event on its
 * socket (the client's next request, or its FIN: conn.c), any other
 * connection's event (done_quiet), or at worst collect_ev, within
 * CONN_COLLECT_MS; the request's latency ends when its reply was written.
 * A reply that streams, parks, closes the connection or finds the socket
 * full goes back the usual way.
 *
 * Better still, no wake-up at all: a request for the pool with a thread
 * of it asleep runs in that thread's slot on the thread that read it,
 * right after the loop's turn, while the loop's second thread watches
 * (evloop.c).  The same job, the same direct reply; only the thread
 * differs.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "clock.h"
#include "conn-int.h"
#include "evloop.h"
#include "log.h"
#include "pool.h"
#include "route-run.h"
#include "stream.h"

/* At most this long before a quietly handed-back connection is taken back
 * when no event comes for it: only its counters and its keep-alive timer
 * wait, its reply is out. */
#define CONN_COLLECT_MS	5

/* Runs on a pool or upload thread: the only code of the connection that
 * is not on the event loop. */
static void
conn_job(void *arg)
{
	struct conn *c = arg;
	struct workerd *w = c->w;
	int direct = c->direct, quiet = 0;

	route_run(w, c->seed ? &route_seed : c->route, &c->r, &c->resp);
	if (direct) {
		/* From the reply's first byte on the wire to the hand-back,
		 * conn_settle() waits for this thread.  The exchange pairs
		 * with conn_event_cb()'s: one of the two sees the other. */
		atomic_fetch_add(&w->replying, 1);
		quiet = conn_send_direct(c) == 1 &&
		    atomic_exchange(&c->direct_state, DIRECT_DONE) ==
		    DIRECT_IDLE;
	}
	pthread_mutex_lock(&w->done_lock);
	TAILQ_INSERT_TAIL(&w->done, c, done_entry);
	pthread_mutex_unlock(&w->done_lock);
	/* `c` is the event thread's again: it may be gone already. */
	if (quiet)
		atomic_fetch_add(&w->done_quiet, 1);
	else
		event_active(w->done_ev, EV_READ, 0);
	if (direct)
		atomic_fetch_sub(&w->replying, 1);
}

/* conn_job() on the thread that ran the loop, in a slot lent by the
 * pool. */
static void
conn_job_here(void *arg)
{
	struct conn *c = arg;
	struct pool *pool = c->w->pool;

	conn_job(c);		/* `c` may be gone after it */
	pool_return(pool);
}

/* A deferred request that would wait behind a slow one: to the thread
 * whose slot it holds, or, when the pool stops, here after all. */
static void
conn_job_away(void *arg)
{
	struct conn *c = arg;

	if (pool_give(c->w->pool, conn_job, c) == -1)
		conn_job_here(c);
}

/* Hands a request to the pool: to run after this turn of the loop when a
 * pool thread is idle (its slot lent), else to a pool thread. */
static int
conn_submit(struct workerd *w, struct pool *pool, struct conn *c)
{
	if (pool == w->pool && w->loop != NULL && pool_borrow(pool) == 0) {
		if (evloop_defer(w->loop, conn_job_here, conn_job_away, c) ==
		    0)
			return 0;
		pool_return(pool);
	}
	return pool_submit(pool, conn_job, c);
}

int
conn_settle(struct workerd *w, struct conn *self)
{
	/* A pool thread between its write and its hand-back: a few system
	 * calls' time, unless it was preempted. */
	while (atomic_load(&w->replying) > 0)
		sched_yield();
	if (self == NULL && atomic_load(&w->done_quiet) == 0)
		return 0;
	return conn_collect(w, self);
}

int
conn_collect(struct workerd *w, struct conn *self)
{
	struct conn_list done;
	struct conn *c;
	int found = 0;

	TAILQ_INIT(&done);
	atomic_store(&w->done_quiet, 0);
	pthread_mutex_lock(&w->done_lock);
	TAILQ_CONCAT(&done, &w->done, done_entry);
	pthread_mutex_unlock(&w->done_lock);
	while ((c = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, c, done_entry);
		found |= c == self;
		conn_finish(c);
	}
	return found;
}

void
conn_collect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct workerd *w = arg;
	struct timeval tv = { 0, CONN_COLLECT_MS * 1000 };

	w->collect_armed = 0;
	conn_collect(w, NULL);
	if (w->ndirect > 0) {
		evtimer_add(w->collect_ev, &tv);
		w->collect_armed = 1;
	}
}

/* May the pool thread write this request's reply itself (see above)? */
static int
conn_may_direct(const struct conn *c)
{
	return !c->seed && c->route->where == ROUTE_POOL &&
	    c->pump.pipe == NULL && c->req.keep_alive &&
	    !c->readable && !c->rdhup && !c->eof &&
	    evbuffer_get_length(c->in) == 0 &&
	    evbuffer_get_length(c->out) == 0;
}

static void
conn_stream_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_run(arg);
}

void
conn_stream_event(struct conn *c)
{
	if (c->stream_ev == NULL &&
	    (c->stream_ev = event_new(c->w->base, -1, 0, conn_stream_cb, c)) ==
	    NULL)
		fatalx("out of memory");
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

	if (c->pump.pipe != NULL) {
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

/* A request the router or the gate answers without a handler: 1 when it
 * did (no such route, or a dependency the route needs is down). */
static int
conn_refuse(struct conn *c)
{
	if (c->route == NULL) {
		response_error(&c->resp, c->route_status,
		    c->route_status == 405 ?
		    "method not allowed" : "no such resource");
		if (c->route_status == 405)
			response_header(&c->resp, "Allow: %s", c->route_allow);
		return 1;
	}
	/* A dependency it needs is down: 503 now, no pool thread. */
	if (c->route->where != ROUTE_INLINE &&
	    router_gate(c->w, c->route->needs, &c->resp)) {
		if (c->pump.pipe != NULL) {
			c->resp.close = 1;	/* its body is unread */
			c->linger = 1;
		}
		return 1;
	}
	return 0;
}

void
conn_dispatch(struct conn *c)
{
	struct workerd *w = c->w;
	struct pool *pool = w->pool;

	evtimer_del(c->timer);
	c->r.http = c->seed ? NULL : &c->req;
	c->r.path = c->path;
	c->r.query = c->query;
	c->r.body = c->pump.buf;
	c->r.body_len = c->pump.len;
	c->r.content_type = c->ctype;
	c->r.peer = c->peer;

	if (!c->seed) {
		if (conn_refuse(c)) {
			conn_send(c);
			return;
		}
		if (c->route->where == ROUTE_INLINE) {
			c->route->fn(w, &c->r, &c->resp);
			conn_send(c);
			return;
		}
	}
	conn_stream_event(c);
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
	if ((c->direct = conn_may_direct(c))) {
		atomic_store(&c->direct_state, DIRECT_IDLE);
		w->ndirect++;
		if (!w->collect_armed) {
			struct timeval tv = { 0, CONN_COLLECT_MS * 1000 };

			evtimer_add(w->collect_ev, &tv);
			w->collect_armed = 1;
		}
	}
	if (conn_submit(w, pool, c) == -1) {
		w->ndirect -= c->direct;
		c->direct = 0;
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
	int64_t now = clock_mono_ms();

	c->r.wait_until_ms = c->resp.park_until_ms;
	c->park_user = c->resp.park_user;
	response_clear(&c->resp);
	if (w->stopping || c->r.wait_until_ms <= now) {
		/* Run again at once with the deadline passed: it answers. */
		c->r.wait_until_ms = 1;
		conn_dispatch(c);
		return;
	}
	evtimer_add(c->timer, clock_timeval(&tv, c->r.wait_until_ms - now));
	c->state = CONN_PARKED;
	TAILQ_INSERT_TAIL(&w->parked, c, park_entry);
	w->nparked++;
}

void
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
	c->w->ndirect -= c->direct;
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
	if (c->pump.pipe != NULL) {
		/*
		 * A handler that answered before the end of its body (a
		 * refusal, a failed upload) leaves the rest unread: the
		 * connection cannot carry another request.
		 */
		if (!c->pump.done)
			body_pump_end(&c->pump, 400,
			    "the body was not read to its end");
		stream_closed(c->pump.pipe, &status, NULL);
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
