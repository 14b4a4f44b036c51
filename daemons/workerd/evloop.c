/*
 * evloop.c — see evloop.h.
 *
 * Two threads, 0 (the caller of evloop_run) and 1.  The holder runs the
 * loop one turn at a time (EVLOOP_ONCE), so that between two turns the
 * loop is free to change hands.  After a turn whose callbacks deferred
 * jobs, the holder lends the loop and runs them; the other thread, the
 * watcher, takes the loop when a lend lasts `watch_us`.
 *
 * The watcher must not cost a wake-up per job, or nothing would be won:
 * the holder signals it only when it sleeps without a deadline (no lend
 * for a while); under load it wakes once per `watch_us` by itself, looks,
 * and sleeps again.  That bounds both how long a slow job holds the loop
 * and what watching costs.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "evloop.h"
#include "log.h"
#include "thread.h"
#include "xmalloc.h"

/* Jobs one turn may defer; more go to the pool as usual. */
#define EVLOOP_STASH	32

/* The watcher sleeps without a deadline once no job was deferred for this
 * many watch periods: an idle worker makes no wake-ups. */
#define EVLOOP_IDLE_PERIODS	64

struct evloop_job {
	evloop_fn	 fn;
	evloop_fn	 away;	/* instead of fn, once the lend ran long */
	void		*arg;
};

struct evloop {
	struct event_base *base;
	int64_t		 watch_us;
	pthread_t	 second;

	pthread_mutex_t	 lock;
	pthread_cond_t	 cv;		/* the watcher sleeps on it */
	int		 holder;	/* 0 or 1: whose the loop is */
	int		 lent;		/* the holder runs jobs: since lent_since */
	int64_t		 lent_since;	/* the last lend's start */
	int		 in_jobs[2];	/* each thread, running deferred jobs */
	int		 watcher_asleep; /* without a deadline: signal it */
	int		 done;		/* the loop broke or ran dry */

	/* The jobs of the lend, taken one at a time by the thread that lent
	 * the loop; those not started when the watcher takes the loop over
	 * go to other threads at once (their `away`). */
	struct evloop_job lendq[EVLOOP_STASH];
	int		 lend_next;
	int		 lend_n;

	/* Filled by the holder's callbacks during one turn, emptied by the
	 * holder after it: never touched by the other thread. */
	struct evloop_job stash[EVLOOP_STASH];
	int		 nstash;
};

/* Sends the jobs of the lend not started yet elsewhere (the lock held;
 * let go meanwhile). */
static void
evloop_send_away(struct evloop *l)
{
	struct evloop_job rest[EVLOOP_STASH];
	int i, n = l->lend_n - l->lend_next;

	if (n <= 0)
		return;
	memcpy(rest, &l->lendq[l->lend_next], (size_t)n * sizeof rest[0]);
	l->lend_n = l->lend_next;
	pthread_mutex_unlock(&l->lock);
	for (i = 0; i < n; i++)
		rest[i].away(rest[i].arg);
	pthread_mutex_lock(&l->lock);
}

static void
evloop_wait_until(struct evloop *l, int64_t at_us)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(at_us / 1000000);
	ts.tv_nsec = (long)(at_us % 1000000) * 1000;
	pthread_cond_timedwait(&l->cv, &l->lock, &ts);
}

/*
 * The watcher's step (the lock held, the loop another's): sleeps until
 * there is something to look at, or takes the loop over from a lend that
 * lasted too long.
 */
static void
evloop_watch(struct evloop *l, int me)
{
	int64_t now = clock_mono_us();

	if (l->lent) {
		if (now - l->lent_since >= l->watch_us) {
			/* Its job runs on; the loop goes on here, and the
			 * jobs queued behind it go to other threads. */
			l->holder = me;
			l->lent = 0;
			evloop_send_away(l);
			return;
		}
		evloop_wait_until(l, l->lent_since + l->watch_us);
	} else if (now - l->lent_since < EVLOOP_IDLE_PERIODS * l->watch_us)
		evloop_wait_until(l, now + l->watch_us);
	else {
		l->watcher_asleep = 1;
		pthread_cond_wait(&l->cv, &l->lock);
		l->watcher_asleep = 0;
	}
}

/* One turn of the loop by its holder, then the jobs it deferred, with the
 * loop lent meanwhile.  Called and returns without the lock. */
static void
evloop_turn(struct evloop *l, int me)
{
	struct evloop_job job;
	int64_t since;
	int n, rc, finished, late;

	rc = event_base_loop(l->base, EVLOOP_ONCE);
	finished = rc != 0 || event_base_got_break(l->base) ||
	    event_base_got_exit(l->base);
	n = l->nstash;
	l->nstash = 0;

	pthread_mutex_lock(&l->lock);
	if (finished) {
		l->done = 1;	/* nobody takes the loop up again */
		pthread_cond_broadcast(&l->cv);
	}
	if (n == 0) {
		pthread_mutex_unlock(&l->lock);
		return;
	}
	memcpy(l->lendq, l->stash, (size_t)n * sizeof l->lendq[0]);
	l->lend_next = 0;
	l->lend_n = n;
	l->lent = !finished;
	l->in_jobs[me] = 1;
	l->lent_since = since = clock_mono_us();
	if (l->watcher_asleep)
		pthread_cond_signal(&l->cv);

	/* The jobs of one turn run one after the other while they are
	 * quick; once the lend has lasted a watch period, the rest go to
	 * other threads (the watcher sends them when it takes over). */
	while (l->lend_next < l->lend_n) {
		job = l->lendq[l->lend_next++];
		late = l->lend_next > 1 &&
		    clock_mono_us() - since >= l->watch_us;
		pthread_mutex_unlock(&l->lock);
		if (late)
			job.away(job.arg);
		else
			job.fn(job.arg);
		pthread_mutex_lock(&l->lock);
	}
	l->in_jobs[me] = 0;
	if (l->holder == me)
		l->lent = 0;	/* not taken over: the loop is ours again */
	pthread_mutex_unlock(&l->lock);
}

static void
evloop_thread_run(struct evloop *l, int me)
{
	pthread_mutex_lock(&l->lock);
	while (!l->done) {
		if (l->holder == me) {
			pthread_mutex_unlock(&l->lock);
			evloop_turn(l, me);
			pthread_mutex_lock(&l->lock);
		} else
			evloop_watch(l, me);
	}
	pthread_mutex_unlock(&l->lock);
}

static void *
evloop_second_main(void *arg)
{
	evloop_thread_run(arg, 1);
	return NULL;
}

struct evloop *
evloop_new(struct event_base *base, int64_t watch_us, char **cause)
{
	struct evloop *l;

	if (watch_us < 1) {
		*cause = xasprintf("the loop's watch period must be positive");
		return NULL;
	}
	l = xcalloc(1, sizeof *l);
	l->base = base;
	l->watch_us = watch_us;
	pthread_mutex_init(&l->lock, NULL);
	clock_cond_init(&l->cv);
	return l;
}

void
evloop_run(struct evloop *l)
{
	char *cause = NULL;

	if (thread_start(&l->second, "loop", 0, evloop_second_main, l,
	    &cause) != 0) {
		/* One thread can run the loop; it defers nothing then. */
		log_warnx("%s: the loop runs on one thread", cause);
		free(cause);
		l->in_jobs[1] = 1;
		event_base_dispatch(l->base);
		return;
	}
	evloop_thread_run(l, 0);
	pthread_join(l->second, NULL);
}

int
evloop_defer(struct evloop *l, evloop_fn fn, evloop_fn away, void *arg)
{
	int other_free;

	if (l->nstash == EVLOOP_STASH)
		return -1;
	pthread_mutex_lock(&l->lock);
	other_free = !l->in_jobs[1 - l->holder] && !l->done;
	pthread_mutex_unlock(&l->lock);
	if (!other_free)
		return -1;
	l->stash[l->nstash++] = (struct evloop_job){ fn, away, arg };
	return 0;
}

void
evloop_free(struct evloop *l)
{
	if (l == NULL)
		return;
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->lock);
	free(l);
}
