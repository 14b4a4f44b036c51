/*
 * pool.c — see pool.h.
 *
 * The queue is a ring of `capacity` slots under one mutex.  Submission
 * never waits: the event thread must stay free to answer health checks
 * and to refuse work.  The
 * busy and queued counts are atomics so stats can read them without taking
 * the lock that the workers contend on.  Pool threads block every signal:
 * signals are the event loop's business.
 *
 * Each idle thread sleeps on a semaphore of its own, in a FIFO of idle
 * threads.  A job submitted while one sleeps is handed to the thread that
 * has slept longest, and that thread alone is woken: one futex wake, and
 * the woken thread runs the job without queueing for the lock its waker
 * holds.  (Waking the thread last put to sleep instead left the others
 * cold: their per-thread connections (tres.c) were first made in the
 * middle of the next burst, which then waited on them.)  With one condition variable for all, the
 * woken thread ran straight into the mutex still held by the event thread
 * (or by threads coming back from jobs), and a cheap task cost a string of
 * futex waits and wakes on that mutex: most of the pool's system calls.
 * The ring holds only the jobs that found every thread busy.
 *
 * A slot can also be lent (pool_borrow): a job that another thread runs
 * in the pool's name (the event loop's, evloop.c) counts as busy and
 * keeps one sleeping thread from being woken until pool_return(), so no
 * more than `threads` jobs run at once either way.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
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

/* One thread of the pool: it sleeps on its own semaphore, and a job for
 * it when it sleeps is put in its hands (`item`), not in the ring. */
struct pool_thread {
	struct pool		*pool;
	pthread_t		 tid;
	sem_t			 wake;
	struct pool_item	 item;		/* handed over while it slept */
	int			 has_item;
	struct pool_thread	*next_idle;
};

struct pool {
	pthread_mutex_t	 lock;
	struct pool_item *ring;
	int		 capacity;
	int		 head;		/* next to run */
	int		 len;		/* items in the ring */
	int		 stopping;
	int		 nthreads;
	struct pool_thread *threads;
	struct pool_thread *idle;	/* sleeping threads, first asleep first */
	struct pool_thread **idle_tail;
	int		 nidle;		/* threads in the idle list */
	int		 lent;		/* slots lent by pool_borrow() */
	atomic_int	 busy;
	atomic_int	 queued;
};

/* Takes the first sleeping thread not held for a lent slot (the lock
 * held), or NULL. */
static struct pool_thread *
pool_pop_idle(struct pool *p)
{
	struct pool_thread *t;

	if (p->nidle <= p->lent)
		return NULL;
	t = p->idle;
	if ((p->idle = t->next_idle) == NULL)
		p->idle_tail = &p->idle;
	p->nidle--;
	return t;
}

/* Takes the next job for `t` (the lock held): 1, or 0 when there is none. */
static int
pool_take(struct pool *p, struct pool_thread *t, struct pool_item *it)
{
	if (t->has_item) {
		*it = t->item;
		t->has_item = 0;
	} else if (p->len > 0) {
		*it = p->ring[p->head];
		p->head = (p->head + 1) % p->capacity;
		p->len--;
	} else
		return 0;
	/* busy before queued drops: a reader never sees the job vanish. */
	atomic_fetch_add(&p->busy, 1);
	atomic_fetch_sub(&p->queued, 1);
	return 1;
}

static void *
pool_main(void *arg)
{
	struct pool_thread *t = arg;
	struct pool *p = t->pool;
	struct pool_item it;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (pool_take(p, t, &it)) {
			pthread_mutex_unlock(&p->lock);
			it.fn(it.arg);
			atomic_fetch_sub(&p->busy, 1);
			pthread_mutex_lock(&p->lock);
			continue;
		}
		if (p->stopping)
			break;		/* and nothing left */
		t->next_idle = NULL;
		p->nidle++;
		*p->idle_tail = t;
		p->idle_tail = &t->next_idle;
		pthread_mutex_unlock(&p->lock);
		while (sem_wait(&t->wake) == -1 && errno == EINTR)
			;
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct pool *
pool_new(const char *name, int threads, int capacity, char **cause)
{
	struct pool *p;
	struct pool_thread *t;
	int i;

	if (threads < 1 || capacity < 1) {
		*cause = xasprintf("pool needs at least one thread and one slot");
		return NULL;
	}
	p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	p->capacity = capacity;
	p->idle_tail = &p->idle;
	p->ring = xcalloc(capacity, sizeof *p->ring);
	p->threads = xcalloc(threads, sizeof *p->threads);

	for (i = 0; i < threads; i++) {
		t = &p->threads[i];
		t->pool = p;
		sem_init(&t->wake, 0, 0);
		if (thread_start(&t->tid, name, 0, pool_main, t, cause) != 0) {
			sem_destroy(&t->wake);
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
	struct pool_thread *t;

	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	if ((t = pool_pop_idle(p)) != NULL) {
		/* A sleeping thread: the job goes straight to it. */
		t->item = (struct pool_item){ fn, arg };
		t->has_item = 1;
	} else if (p->len == p->capacity) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	} else {
		p->ring[(p->head + p->len) % p->capacity] =
		    (struct pool_item){ fn, arg };
		p->len++;
	}
	atomic_fetch_add(&p->queued, 1);
	pthread_mutex_unlock(&p->lock);
	if (t != NULL)
		sem_post(&t->wake);
	return 0;
}

int
pool_borrow(struct pool *p)
{
	int ok;

	pthread_mutex_lock(&p->lock);
	if ((ok = !p->stopping && p->nidle > p->lent)) {
		p->lent++;
		atomic_fetch_add(&p->busy, 1);
	}
	pthread_mutex_unlock(&p->lock);
	return ok ? 0 : -1;
}

void
pool_return(struct pool *p)
{
	struct pool_thread *t = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->lent > 0)
		p->lent--;
	atomic_fetch_sub(&p->busy, 1);
	/* Jobs queued while the slot was out wait for a thread: this
	 * slot's. */
	if (p->len > 0 && (t = pool_pop_idle(p)) != NULL) {
		t->item = p->ring[p->head];
		t->has_item = 1;
		p->head = (p->head + 1) % p->capacity;
		p->len--;
	}
	pthread_mutex_unlock(&p->lock);
	if (t != NULL)
		sem_post(&t->wake);
}

int
pool_give(struct pool *p, pool_fn fn, void *arg)
{
	struct pool_thread *t = NULL;

	pthread_mutex_lock(&p->lock);
	if (!p->stopping && p->lent > 0) {
		p->lent--;
		/* The slot's thread sleeps: it takes the job at once. */
		if ((t = pool_pop_idle(p)) != NULL) {
			t->item = (struct pool_item){ fn, arg };
			t->has_item = 1;
			atomic_fetch_sub(&p->busy, 1);	/* counted again */
			atomic_fetch_add(&p->queued, 1);
		} else
			p->lent++;
	}
	pthread_mutex_unlock(&p->lock);
	if (t == NULL)
		return -1;
	sem_post(&t->wake);
	return 0;
}

void
pool_free(struct pool *p)
{
	struct pool_thread *t;
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	p->lent = 0;
	while ((t = pool_pop_idle(p)) != NULL)
		sem_post(&t->wake);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++) {
		pthread_join(p->threads[i].tid, NULL);
		sem_destroy(&p->threads[i].wake);
	}
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
