/*
 * pool.h — a fixed pool of threads fed by a bounded FIFO queue.
 *
 * The event thread submits work with pool_submit(), which never blocks: a
 * full queue is reported at once so the caller can answer 503.  Counters
 * (busy threads, queue length) are read lock-free by stats and metrics.
 */
#ifndef PFO3_POOL_H
#define PFO3_POOL_H

#include <stddef.h>

struct pool;
typedef void (*pool_fn)(void *arg);

/* Starts `threads` threads named `name` (what ps -L shows) with a queue of
 * `capacity` items; NULL + *cause. */
struct pool *pool_new(const char *name, int threads, int capacity,
	    char **cause);
/* Queues fn(arg).  Returns 0, or -1 when the queue is full or the pool is
 * stopping (nothing was queued). */
int	pool_submit(struct pool *p, pool_fn fn, void *arg);
/* Lends a slot of a sleeping thread for a job the caller runs itself in
 * the pool's name: 0 (it counts as busy until pool_return()), or -1 when
 * no thread is idle or the pool is stopping. */
int	pool_borrow(struct pool *p);
void	pool_return(struct pool *p);
/* Gives fn(arg) to the sleeping thread whose slot was lent, as if
 * submitted then: 0, or -1 (the pool is stopping; the slot is still
 * lent). */
int	pool_give(struct pool *p, pool_fn fn, void *arg);
/* Lets queued work finish, then joins every thread and frees the pool. */
void	pool_free(struct pool *p);

int	pool_threads(const struct pool *p);
int	pool_capacity(const struct pool *p);
int	pool_busy(const struct pool *p);	/* threads running a job now */
int	pool_queued(const struct pool *p);	/* jobs waiting for a thread */

#endif
