/*
 * beats.c — see beats.h.
 *
 * A topic subscription of the broker client (broker_subscribe_topic): the
 * queue is exclusive and auto-deleted (it dies with the connection) and
 * bounded (x-max-length, oldest dropped): only the newest heartbeats
 * matter, so a stalled pfo3-ctld must not pile them up in the broker.
 * Deliveries are not acknowledged (no_ack): losing one costs nothing, the
 * next one comes a second later.
 */
#include <sys/queue.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "beats.h"
#include "broker.h"
#include "clock.h"
#include "conf.h"
#include "log.h"
#include "thread.h"
#include "xmalloc.h"

#define BEATS_KEY		"worker.*.stats"
#define BEATS_QUEUE_MAX		10000	/* x-max-length of our queue */
#define BEATS_KEEP_MAX		4096	/* distinct workers remembered */
#define BEATS_WAIT_MS		200	/* checks for stop this often */

struct beat {
	TAILQ_ENTRY(beat)	 entry;
	char			 id[64];
	json_t			*stats;
	int64_t			 recv_ms;
};
TAILQ_HEAD(beat_list, beat);

struct beats {
	const struct pfo3_conf	*conf;
	pthread_t		 thread;
	atomic_int		 stopping;
	pthread_mutex_t		 lock;		/* guards list, n */
	struct beat_list	 list;
	int			 n;
	atomic_ullong		 received;
	atomic_ullong		 refused;
	atomic_int		 connected;
};

/* Once connected (broker_keep): our queue and its consumer. */
static int
beats_subscribe(struct broker *b, void *arg, char **cause)
{
	char	*queue;

	(void)arg;
	if ((queue = broker_subscribe_topic(b, BROKER_EVENTS, BEATS_KEY,
	    BEATS_QUEUE_MAX, cause)) == NULL)
		return -1;
	free(queue);
	return 0;
}

/* Keeps the newest heartbeat of `id`. */
static void
beats_keep(struct beats *bt, const char *id, json_t *stats)
{
	struct beat *bb;

	pthread_mutex_lock(&bt->lock);
	TAILQ_FOREACH(bb, &bt->list, entry)
		if (strcmp(bb->id, id) == 0)
			break;
	if (bb == NULL) {
		if (bt->n >= BEATS_KEEP_MAX) {
			pthread_mutex_unlock(&bt->lock);
			json_decref(stats);
			atomic_fetch_add(&bt->refused, 1);
			return;
		}
		bb = xcalloc(1, sizeof *bb);
		snprintf(bb->id, sizeof bb->id, "%s", id);
		TAILQ_INSERT_TAIL(&bt->list, bb, entry);
		bt->n++;
	}
	json_decref(bb->stats);
	bb->stats = stats;
	bb->recv_ms = clock_mono_ms();
	pthread_mutex_unlock(&bt->lock);
}

/* One delivery: worker.<id>.stats with a JSON object body. */
static void
beats_handle(struct beats *bt, const struct broker_delivery *d)
{
	const char	*key = d->routing_key;
	size_t		 keylen = strlen(key), idlen;
	json_t		*stats;
	char		 id[64];

	atomic_fetch_add(&bt->received, 1);
	if (keylen < 14 || keylen - 13 >= sizeof id ||
	    strncmp(key, "worker.", 7) != 0 ||
	    strcmp(key + keylen - 6, ".stats") != 0 ||
	    d->len > (size_t)bt->conf->control.max_line) {
		atomic_fetch_add(&bt->refused, 1);
		return;
	}
	idlen = keylen - 13;
	memcpy(id, key + 7, idlen);
	id[idlen] = '\0';
	stats = json_loadb(d->body, d->len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(stats)) {
		json_decref(stats);
		atomic_fetch_add(&bt->refused, 1);
		return;
	}
	beats_keep(bt, id, stats);
}

static void *
beats_main(void *arg)
{
	struct beats		*bt = arg;
	struct broker_keep	*k;
	struct broker		*b;
	struct broker_delivery	 d;
	char			*cause = NULL;
	int			 rc;

	k = broker_keep_new(&bt->conf->amqp, "pfo3-ctld heartbeats",
	    beats_subscribe, NULL);
	while (!atomic_load(&bt->stopping)) {
		if ((b = broker_keep_get(k)) == NULL) {
			atomic_store(&bt->connected, 0);
			usleep(BEATS_WAIT_MS * 1000);
			continue;
		}
		atomic_store(&bt->connected, 1);
		if ((rc = broker_next(b, BEATS_WAIT_MS, &d, &cause)) == 1) {
			beats_handle(bt, &d);
			broker_delivery_clear(&d);
		} else if (rc == -1) {
			/* Whatever broke, a fresh connection mends it. */
			atomic_store(&bt->connected, 0);
			broker_keep_failed(k, cause);
			free(cause);
			cause = NULL;
		}
	}
	broker_keep_free(k);
	return NULL;
}

struct beats *
beats_start(const struct pfo3_conf *conf, char **cause)
{
	struct beats	*bt;

	bt = xcalloc(1, sizeof *bt);
	bt->conf = conf;
	TAILQ_INIT(&bt->list);
	pthread_mutex_init(&bt->lock, NULL);
	if (thread_start(&bt->thread, "beats", 0, beats_main, bt,
	    cause) != 0) {
		pthread_mutex_destroy(&bt->lock);
		free(bt);
		return NULL;
	}
	return bt;
}

void
beats_stop(struct beats *bt)
{
	struct beat *bb;

	if (bt == NULL)
		return;
	atomic_store(&bt->stopping, 1);
	pthread_join(bt->thread, NULL);
	while ((bb = TAILQ_FIRST(&bt->list)) != NULL) {
		TAILQ_REMOVE(&bt->list, bb, entry);
		json_decref(bb->stats);
		free(bb);
	}
	pthread_mutex_destroy(&bt->lock);
	free(bt);
}

void
beats_take(struct beats *bt, beats_fn fn, void *arg)
{
	struct beat_list	 list;
	struct beat		*bb;

	TAILQ_INIT(&list);
	pthread_mutex_lock(&bt->lock);
	TAILQ_CONCAT(&list, &bt->list, entry);
	bt->n = 0;
	pthread_mutex_unlock(&bt->lock);
	while ((bb = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, bb, entry);
		fn(bb->id, bb->stats, bb->recv_ms, arg);
		json_decref(bb->stats);
		free(bb);
	}
}

void
beats_counts(struct beats *bt, uint64_t *received, uint64_t *refused,
    int *connected)
{
	*received = atomic_load(&bt->received);
	*refused = atomic_load(&bt->refused);
	*connected = atomic_load(&bt->connected);
}
