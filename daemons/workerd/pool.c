/*
 * pool.c — see pool.h.
 *
 * The queue is a ring of `capacity` slots under one mutex; idle threads
 * wait on one condition variable.  Submission never waits: the event
 * thread must stay free to answer health checks and to refuse work.  The
 * busy and queued counts are atomics so stats can read them without taking
 * the lock that the workers contend on.  Pool threads block every signal:
 * signals are the event loop's business.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pool.h"
#include "thread.h"
#include "xmalloc.h"

struct pool_item {
	pool_fn		 fn;
	void		*arg;
};

struct pool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	struct pool_item *ring;
	int		 capacity;
	int		 head;		/* next to run */
	int		 len;		/* items in the ring */
	int		 stopping;
	int		 nthreads;
	pthread_t	*threads;
	atomic_int	 busy;
	atomic_int	 queued;
};

static void *
pool_main(void *arg)
{
	struct pool *p = arg;
	struct pool_item it;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->len == 0 && !p->stopping)
			pthread_cond_wait(&p->wake, &p->lock);
		if (p->len == 0)
			break;		/* stopping and nothing left */
		it = p->ring[p->head];
		p->head = (p->head + 1) % p->capacity;
		p->len--;
		/* busy before queued drops: a reader never sees the job vanish. */
		atomic_fetch_add(&p->busy, 1);
		atomic_fetch_sub(&p->queued, 1);
		pthread_mutex_unlock(&p->lock);

		it.fn(it.arg);

		atomic_fetch_sub(&p->busy, 1);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct pool *
pool_new(const char *name, int threads, int capacity, char **cause)
{
	struct pool *p;
	int i;

	if (threads < 1 || capacity < 1) {
		*cause = xasprintf("pool needs at least one thread and one slot");
		return NULL;
	}
	p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->capacity = capacity;
	p->ring = xcalloc(capacity, sizeof *p->ring);
	p->threads = xcalloc(threads, sizeof *p->threads);

	for (i = 0; i < threads; i++) {
		if (thread_start(&p->threads[i], name, 0, pool_main, p,
		    cause) != 0) {
			p->nthreads = i;
			pool_free(p);
			return NULL;
		}
		p->nthreads = i + 1;
	}
	return p;
}

int
pool_submit(struct pool *p, pool_fn fn, void *arg)
{
	pthread_mutex_lock(&p->lock);
	if (p->stopping || p->len == p->capacity) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	p->ring[(p->head + p->len) % p->capacity] = (struct pool_item){ fn, arg };
	p->len++;
	atomic_fetch_add(&p->queued, 1);
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void
pool_free(struct pool *p)
{
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p->ring);
	free(p);
}

int
pool_threads(const struct pool *p)
{
	return p->nthreads;
}

int
pool_capacity(const struct pool *p)
{
	return p->capacity;
}

int
pool_busy(const struct pool *p)
{
	return atomic_load(&((struct pool *)p)->busy);
}

int
pool_queued(const struct pool *p)
{
	return atomic_load(&((struct pool *)p)->queued);
}
