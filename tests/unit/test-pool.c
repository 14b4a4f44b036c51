/* test-pool.c — the bounded pool: capacity, refusal when full, counters,
 * FIFO order, and that pool_free runs what was queued. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"
#include "tap.h"

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open;
static int ran;
static int order[16];

static void
job_wait(void *arg)
{
	pthread_mutex_lock(&gate_lock);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	order[ran++] = (int)(long)arg;
	pthread_mutex_unlock(&gate_lock);
}

/* Polls `fn` until it equals `want` or a second passes. */
static int
wait_for(int (*fn)(const struct pool *), const struct pool *p, int want)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	for (i = 0; i < 1000; i++) {
		if (fn(p) == want)
			return want;
		nanosleep(&ts, NULL);
	}
	return fn(p);
}

static int
ran_now(void)
{
	int n;

	pthread_mutex_lock(&gate_lock);
	n = ran;
	pthread_mutex_unlock(&gate_lock);
	return n;
}

/* Borrows a slot, retrying while the threads have not gone to sleep yet
 * (they start asleep only once they have run). */
static int
borrow_soon(struct pool *p)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	for (i = 0; i < 1000; i++) {
		if (pool_borrow(p) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* pool_borrow/pool_return: a lent slot is a busy thread that is not woken,
 * and a job queued meanwhile runs once it comes back. */
static void
lent_slots(void)
{
	struct timespec ts = { 0, 1000000 };
	struct pool *p;
	char *cause = NULL;
	int i;

	p = pool_new("test", 2, 2, &cause);
	tap_ok(borrow_soon(p) == 0 && borrow_soon(p) == 0,
	    "two threads asleep: two slots can be lent");
	tap_is_int(pool_borrow(p), -1, "a third cannot");
	tap_is_int(pool_busy(p), 2, "lent slots count as busy");
	ran = 0;
	tap_is_int(pool_submit(p, job_wait, (void *)0L), 0,
	    "a job submitted while every slot is lent is queued");
	tap_is_int(pool_queued(p), 1, "... and waits: 1 queued");
	tap_is_int(ran_now(), 0, "... and has not run");
	pool_return(p);
	tap_is_int(wait_for(pool_queued, p, 0), 0,
	    "once a slot is returned, the queued job is taken");
	pool_return(p);
	tap_is_int(wait_for(pool_busy, p, 0), 0, "every slot back: 0 busy");
	tap_is_int(ran_now(), 1, "the queued job ran");
	tap_ok(borrow_soon(p) == 0, "a returned slot can be lent again");
	tap_is_int(pool_give(p, job_wait, (void *)1L), 0,
	    "a job given to a lent slot's thread is taken");
	for (i = 0; i < 1000 && ran_now() < 2; i++)
		nanosleep(&ts, NULL);
	tap_is_int(ran_now(), 2, "... and runs");
	tap_is_int(wait_for(pool_busy, p, 0), 0, "... and frees the slot");
	tap_is_int(pool_give(p, job_wait, (void *)2L), -1,
	    "nothing is given without a lent slot");
	pool_free(p);
}

int
main(void)
{
	struct pool *p;
	char *cause = NULL;
	long i;
	int refused = 0, fifo = 1;

	p = pool_new("test", 0, 4, &cause);
	tap_ok(p == NULL && cause != NULL,
	    "a pool without threads is refused: %s", cause ? cause : "");
	free(cause);

	p = pool_new("test", 2, 3, &cause);
	tap_ok(p != NULL, "pool of 2 threads, queue 3");
	tap_is_int(pool_threads(p), 2, "threads");
	tap_is_int(pool_capacity(p), 3, "capacity");
	tap_is_int(pool_busy(p), 0, "idle pool: 0 busy");

	for (i = 0; i < 2; i++)
		pool_submit(p, job_wait, (void *)i);
	tap_is_int(wait_for(pool_busy, p, 2), 2, "two jobs: 2 busy");
	tap_is_int(pool_queued(p), 0, "two jobs: nothing queued");
	for (i = 2; i < 5; i++)
		tap_is_int(pool_submit(p, job_wait, (void *)i), 0,
		    "job %ld queued", i);
	tap_is_int(pool_queued(p), 3, "queue full: 3 queued");
	for (i = 5; i < 8; i++)
		refused += pool_submit(p, job_wait, (void *)i) == -1;
	tap_is_int(refused, 3, "submits beyond capacity are refused at once");

	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	pool_free(p);
	tap_is_int(ran, 5, "every accepted job ran, none of the refused");

	gate_open = 1;
	ran = 0;
	p = pool_new("test", 1, 8, &cause);
	for (i = 0; i < 8; i++)
		pool_submit(p, job_wait, (void *)i);
	pool_free(p);
	tap_is_int(ran, 8, "pool_free lets queued work finish");
	/* One thread: jobs run one after another, in the order queued. */
	for (i = 0; i < ran; i++)
		if (order[i] != i)
			fifo = 0;
	tap_ok(fifo, "queued jobs run in FIFO order");
	lent_slots();
	return tap_done();
}
