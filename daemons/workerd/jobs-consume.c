/*
 * jobs-consume.c — the consumer thread: one broker connection that
 * receives the deliveries of every job queue this worker has a handler
 * for, runs them on the worker's pool, and answers them.
 *
 * An AMQP connection belongs to one thread, and heartbeats are only
 * served inside library calls, so this thread owns the connection and
 * never blocks anywhere but in broker_next, with a short timeout: that
 * serves heartbeats, and notices a stop, a drain and jobs that came back
 * from the pool.  A pool thread never touches the connection: it hands
 * the job back through a locked list and this thread acks, retries or
 * rejects it.
 *
 * At most worker.job_threads jobs are on the pool at once, so HTTP keeps
 * the other threads.  The broker sends up to amqp.prefetch unacked
 * deliveries per queue; those that find every slot taken wait here, in
 * order, unacked, and this thread then waits for a job to come back (the
 * pool thread wakes it) rather than for the broker, which it only polls.
 * A full pool queue leaves them waiting too.
 *
 * A job whose database is unreachable is rejected back to its queue after
 * JOBS_REQUEUE_MS; its slot stays taken meanwhile, so an outage slows the
 * consumer down instead of spinning deliveries through it.
 *
 * While the worker drains, is held (jobs_hold) or stops, no new job
 * starts; once the jobs in hand are answered the connection is closed,
 * which gives the deliveries still waiting here back to the broker, and
 * a resume (or a release) connects again.  A lost connection is remade with backoff; jobs still running
 * from the old one cannot be answered (their tags died with it): the
 * broker delivers those messages again, and the row, finished by then,
 * makes the redelivery a no-op.
 */
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "broker.h"
#include "clock.h"
#include "jobs-int.h"
#include "log.h"
#include "pool.h"
#include "workerd.h"
#include "xmalloc.h"

#define JOBS_WAIT_BUSY_MS	20	/* broker_next while jobs are in hand */
#define JOBS_WAIT_IDLE_MS	200	/* and while none are */
#define JOBS_REQUEUE_MS		1000	/* before giving a job back */
#define JOBS_BACKOFF_MIN_MS	500	/* reconnecting */
#define JOBS_BACKOFF_MAX_MS	30000

/* The consumer thread's own state. */
struct jobs_consumer {
	struct jobs		*j;
	struct workerd		*w;
	struct broker		*b;
	uint64_t		 gen;		/* bumped by every connection */
	struct jobs_list	 pending;	/* received, not started */
	struct jobs_list	 delayed;	/* REQUEUE, waiting for due_ms */
	int			 inhand;	/* on the pool or delayed */
	int64_t			 retry_at_ms;	/* next connection attempt */
	struct backoff		 backoff;
};

static void
jobs_job_free(struct jobs_job *job)
{
	broker_delivery_clear(&job->d);
	free(job->reason);
	free(job);
}

/* Sleeps up to `ms`, or less when jobs_stop wakes us. */
static void
jobs_nap(struct jobs *j, int64_t ms)
{
	struct timespec	ts;

	clock_deadline(&ts, ms);
	pthread_mutex_lock(&j->lock);
	if (!atomic_load(&j->stop))
		pthread_cond_timedwait(&j->wake, &j->lock, &ts);
	pthread_mutex_unlock(&j->lock);
}

/* Connects, declares the topology and consumes each handled type's
 * queue.  0, or -1 with *cause. */
static int
jobs_connect(struct jobs_consumer *c, char **cause)
{
	char	*name, *queue;
	int	 i, rc;

	name = xasprintf("%s-jobs", c->w->conf.worker.id);
	c->b = broker_connect(&c->w->conf.amqp, name, cause);
	free(name);
	if (c->b == NULL)
		return -1;
	if (broker_declare_topology(c->b, cause) != 0)
		goto fail;
	for (i = 0; i < JOBS_NTYPES; i++) {
		if (jobs_types[i].run == NULL)
			continue;
		queue = xasprintf("%s%s", BROKER_QUEUE_PREFIX,
		    job_types[i]);
		rc = broker_consume(c->b, queue, cause);
		free(queue);
		if (rc != 0)
			goto fail;
	}
	c->gen++;
	atomic_store(&c->j->consuming, 1);
	return 0;

fail:
	broker_free(c->b);
	c->b = NULL;
	return -1;
}

/* Closes the connection: whatever it delivered and we did not answer
 * goes back to its queue. */
static void
jobs_disconnect(struct jobs_consumer *c)
{
	struct jobs_job	*job;

	if (c->b == NULL)
		return;
	while ((job = TAILQ_FIRST(&c->pending)) != NULL) {
		TAILQ_REMOVE(&c->pending, job, entry);
		jobs_job_free(job);
	}
	while ((job = TAILQ_FIRST(&c->delayed)) != NULL) {
		TAILQ_REMOVE(&c->delayed, job, entry);
		jobs_job_free(job);
		c->inhand--;
	}
	broker_free(c->b);
	c->b = NULL;
	atomic_store(&c->j->consuming, 0);
}

/* Sends the answer of a job that came back (on the live connection). */
static void
jobs_answer(struct jobs_consumer *c, struct jobs_job *job)
{
	struct jobs_counters	*n = NULL;
	char			*cause = NULL;
	const char		*what = "ack";
	int			 rc = 0, attempt;

	if (job->type != -1)
		n = &c->j->count[job->type];
	switch (job->answer) {
	case JOBS_ANSWER_NONE:
		return;
	case JOBS_ANSWER_ACK:
		rc = broker_ack(c->b, job->d.tag, &cause);
		break;
	case JOBS_ANSWER_REQUEUE:
		what = "requeue";
		rc = broker_reject(c->b, job->d.tag, 1, &cause);
		if (rc == 0 && n != NULL)
			atomic_fetch_add(&n->requeued, 1);
		break;
	case JOBS_ANSWER_RETRY:
	case JOBS_ANSWER_DEAD:
		what = "retry";
		attempt = job->attempt;
		if (job->answer == JOBS_ANSWER_DEAD &&
		    attempt <= c->w->conf.amqp.max_retries)
			attempt = (int)c->w->conf.amqp.max_retries + 1;
		rc = broker_retry(c->b, &job->d, job->d.routing_key, attempt,
		    job->reason, &cause);
		if (rc == 0 && n != NULL)
			atomic_fetch_add(&n->retried, 1);
		else if (rc == 1) {
			if (n != NULL)
				atomic_fetch_add(&n->dead, 1);
			/* The attempt it really failed at, not the one that
			 * sends it to the dead-letter queue. */
			log_warnx("%s job dead-lettered after attempt %d: %s",
			    job->d.routing_key, job->attempt,
			    job->reason != NULL ? job->reason : "unknown");
		}
		break;
	}
	if (rc == -1) {
		/* The broker delivers it again; the row decides then. */
		log_warnx("cannot %s delivery %" PRIu64 ": %s", what,
		    job->d.tag, cause);
		free(cause);
	}
}

/* Takes the jobs that came back from the pool: answers them, or keeps
 * those to requeue later. */
static void
jobs_collect(struct jobs_consumer *c)
{
	struct jobs_list	 done;
	struct jobs_job		*job;
	int			 live;

	TAILQ_INIT(&done);
	pthread_mutex_lock(&c->j->lock);
	TAILQ_CONCAT(&done, &c->j->done, entry);
	pthread_mutex_unlock(&c->j->lock);
	while ((job = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, job, entry);
		live = c->b != NULL && broker_alive(c->b) && job->gen == c->gen;
		if (live && job->answer == JOBS_ANSWER_REQUEUE) {
			job->due_ms = clock_mono_ms() + JOBS_REQUEUE_MS;
			TAILQ_INSERT_TAIL(&c->delayed, job, entry);
			continue;
		}
		if (live)
			jobs_answer(c, job);
		jobs_job_free(job);
		c->inhand--;
	}
	/* Delays are equal, so the list is in due order. */
	while ((job = TAILQ_FIRST(&c->delayed)) != NULL &&
	    (job->due_ms <= clock_mono_ms() || atomic_load(&c->j->stop))) {
		TAILQ_REMOVE(&c->delayed, job, entry);
		if (atomic_load(&c->j->stop))
			job->answer = JOBS_ANSWER_NONE;
		jobs_answer(c, job);
		jobs_job_free(job);
		c->inhand--;
	}
}

/*
 * A thumbnail or a report frees tens of MiB of image and page buffers,
 * which glibc keeps in its arenas for the next allocation: a worker at
 * rest after a burst of thumbnails held 40 MiB of its own.  They are given
 * back when no job is in hand or waiting, not after every job: the next
 * job of a burst would fault the same pages in again, which cost 4-5 ms of
 * a thumbnail's 45 ms of CPU.
 */
static void
jobs_trim_idle(struct jobs_consumer *c)
{
	if (c->inhand == 0 && TAILQ_EMPTY(&c->pending) &&
	    atomic_exchange(&c->j->trim, 0))
		malloc_trim(0);
}

/* Starts waiting deliveries while slots are free and the pool takes them. */
static void
jobs_dispatch(struct jobs_consumer *c)
{
	struct jobs	*j = c->j;
	struct jobs_job	*job;

	while ((job = TAILQ_FIRST(&c->pending)) != NULL &&
	    c->inhand < c->w->conf.worker.job_threads) {
		TAILQ_REMOVE(&c->pending, job, entry);
		pthread_mutex_lock(&j->lock);
		j->nrunning++;
		pthread_mutex_unlock(&j->lock);
		atomic_fetch_add(&j->running, 1);
		if (pool_submit(c->w->pool, jobs_run, job) != 0) {
			/* The queue is full: try again on the next turn. */
			atomic_fetch_sub(&j->running, 1);
			pthread_mutex_lock(&j->lock);
			j->nrunning--;
			pthread_mutex_unlock(&j->lock);
			TAILQ_INSERT_HEAD(&c->pending, job, entry);
			return;
		}
		c->inhand++;
	}
}

/* Makes sure there is a connection; 0 when there is one. */
static int
jobs_ensure(struct jobs_consumer *c)
{
	char	*cause = NULL;
	int64_t	 now, delay;

	if (c->b != NULL && broker_alive(c->b))
		return 0;
	if (c->b != NULL)
		jobs_disconnect(c);
	now = clock_mono_ms();
	if (now < c->retry_at_ms)
		return -1;
	if (jobs_connect(c, &cause) != 0) {
		delay = backoff_next(&c->backoff);
		log_warnx("job consumer: %s (next attempt in %lld ms)", cause,
		    (long long)delay);
		free(cause);
		c->retry_at_ms = now + delay;
		return -1;
	}
	log_info("consuming jobs");
	backoff_reset(&c->backoff);
	return 0;
}

/*
 * Waits for a job to come back from the pool, up to JOBS_WAIT_BUSY_MS:
 * when every slot is taken and a delivery waits for one, waiting on the
 * broker instead would leave a freed slot idle until its timeout.
 */
static void
jobs_wait_slot(struct jobs *j)
{
	struct timespec	ts;

	clock_deadline(&ts, JOBS_WAIT_BUSY_MS);
	pthread_mutex_lock(&j->lock);
	if (!atomic_load(&j->stop) && TAILQ_EMPTY(&j->done))
		pthread_cond_timedwait(&j->wake, &j->lock, &ts);
	pthread_mutex_unlock(&j->lock);
}

/* Waits for one delivery and keeps it in `pending`. */
static void
jobs_receive(struct jobs_consumer *c)
{
	struct jobs_job	*job;
	char		*cause = NULL;
	int		 rc, busy, wait;

	busy = c->inhand > 0 || !TAILQ_EMPTY(&c->pending);
	wait = busy ? JOBS_WAIT_BUSY_MS : JOBS_WAIT_IDLE_MS;
	if (!TAILQ_EMPTY(&c->pending) &&
	    c->inhand >= c->w->conf.worker.job_threads) {
		/* The slot that frees first is what this thread waits for;
		 * the broker is then only polled, to serve its heartbeats
		 * and take what it sent meanwhile (prefetch bounds it). */
		jobs_wait_slot(c->j);
		wait = 0;
	}
	job = xcalloc(1, sizeof *job);
	rc = broker_next(c->b, wait, &job->d, &cause);
	if (rc == 1) {
		job->j = c->j;
		job->gen = c->gen;
		job->received_us = clock_mono_us();
		job->type = jobs_type_find(job->d.routing_key);
		TAILQ_INSERT_TAIL(&c->pending, job, entry);
		return;
	}
	free(job);
	if (rc == -1) {
		/* Whatever broke (the connection, the channel, the consumer
		 * cancelled), a fresh connection mends it. */
		log_warnx("job consumer: %s", cause);
		free(cause);
		jobs_disconnect(c);
		c->retry_at_ms = clock_mono_ms() + backoff_next(&c->backoff);
	}
}

void *
jobs_consume_main(void *arg)
{
	struct jobs_consumer	 c;
	struct jobs		*j = arg;
	const char		*paused;	/* why, or NULL */
	int			 stopping;

	memset(&c, 0, sizeof c);
	c.j = j;
	c.w = j->w;
	backoff_init(&c.backoff, JOBS_BACKOFF_MIN_MS, JOBS_BACKOFF_MAX_MS);
	TAILQ_INIT(&c.pending);
	TAILQ_INIT(&c.delayed);

	for (;;) {
		jobs_collect(&c);
		jobs_trim_idle(&c);
		stopping = atomic_load(&j->stop);
		if (stopping && (c.inhand == 0 ||
		    clock_mono_ms() >= j->stop_deadline_ms))
			break;
		paused = stopping ? "stopping" : atomic_load(&j->held) ?
		    "held" : atomic_load(&c.w->draining) ? "draining" : NULL;
		/* Paused, the connection only serves to answer the jobs in
		 * hand: none, or a dead connection, and it can go. */
		if (paused != NULL && (c.inhand == 0 || c.b == NULL ||
		    !broker_alive(c.b))) {
			if (c.b != NULL) {
				log_info("%s: no longer consuming jobs",
				    paused);
				jobs_disconnect(&c);
			}
			jobs_nap(j, c.inhand > 0 ? JOBS_WAIT_BUSY_MS :
			    JOBS_WAIT_IDLE_MS);
			continue;
		}
		if (jobs_ensure(&c) != 0) {
			jobs_nap(j, c.inhand > 0 ? JOBS_WAIT_BUSY_MS :
			    JOBS_WAIT_IDLE_MS);
			continue;
		}
		if (paused == NULL)
			jobs_dispatch(&c);
		jobs_receive(&c);
	}
	if (c.inhand > 0)
		log_warnx("stopping with %d jobs unanswered: the broker will "
		    "deliver them again", c.inhand);
	jobs_disconnect(&c);
	return NULL;
}
