/*
 * evloop.h — the worker's event loop, run by two threads in turn.
 *
 * A cheap pool job handed to a sleeping pool thread costs a wake-up and
 * two context switches for a few microseconds of work, and the event
 * thread sleeps and wakes for the next request anyway.  So the thread
 * that ran the loop may run a job itself, in a slot it borrowed from the
 * pool (pool_borrow), right after the turn of the loop that read it: the
 * job is the pool's, counted as busy, but no thread was woken for it.
 * While it does, the loop is lent, and the second thread watches: a job
 * still running after `watch` (a slow handler: a login's hash, a database
 * round trip, a streamed reply waiting for the loop) makes it take the
 * loop over, so events never wait longer than that.  The thread back from
 * its job then becomes the watcher.  (Leader/followers, with two threads
 * and a lazy hand-over.)
 *
 * Everything the event thread owned is owned by whichever thread runs
 * the loop; the hand-over is under a lock, so each sees what the other
 * wrote.
 */
#ifndef PFO3_EVLOOP_H
#define PFO3_EVLOOP_H

#include <stdint.h>

struct event_base;
struct evloop;

typedef void (*evloop_fn)(void *arg);

/* `watch_us`: how long a job may keep the loop before the other thread
 * takes it.  NULL + *cause. */
struct evloop *evloop_new(struct event_base *base, int64_t watch_us,
	    char **cause);
/* Runs the loop on this thread and the second one until the loop breaks
 * or has no events left, then joins the second thread. */
void	evloop_run(struct evloop *l);
/* From a callback of the loop: runs fn(arg) on this thread once the
 * callbacks of this turn are done.  0, or -1 when the other thread cannot
 * watch now (it is running a job itself) or too many wait already.  When
 * a job deferred before it in the same turn has run longer than the watch
 * period, away(arg) is called instead: the job must go to another thread,
 * not wait behind a slow one. */
int	evloop_defer(struct evloop *l, evloop_fn fn, evloop_fn away,
	    void *arg);
void	evloop_free(struct evloop *l);

#endif
