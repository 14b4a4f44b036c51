/* notify.c — see notify.h. */
#include <sys/eventfd.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "conn.h"
#include "db.h"
#include "log.h"
#include "notify.h"
#include "tres.h"
#include "workerd.h"
#include "thread.h"
#include "xmalloc.h"

/*
 * Ids waiting for the event thread.  Past this many a burst is not worth
 * sorting out: every parked request is woken instead.
 */
#define NOTIFY_QUEUE	256
#define NOTIFY_RETRY_MS	1000	/* between attempts to reconnect */

struct notify {
	struct workerd	*w;
	pthread_t	 thread;
	int		 stop_fd;	/* an eventfd: written to stop */
	struct event	*ev;		/* the event thread's wake-up */

	pthread_mutex_t	 lock;		/* guards the queue */
	int64_t		 users[NOTIFY_QUEUE];
	int		 nusers;
	int		 all;		/* wake every parked request */
};

/* Thread: queues `user` (0: everyone) for the event thread. */
static void
notify_post(struct notify *n, int64_t user)
{
	pthread_mutex_lock(&n->lock);
	if (user == 0 || n->nusers == NOTIFY_QUEUE)
		n->all = 1;
	else
		n->users[n->nusers++] = user;
	pthread_mutex_unlock(&n->lock);
	event_active(n->ev, EV_READ, 0);
}

/* Event thread: wakes the parked requests of the queued users. */
static void
notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify	*n = arg;
	int64_t		 users[NOTIFY_QUEUE];
	int		 i, count, all;

	pthread_mutex_lock(&n->lock);
	count = n->nusers;
	memcpy(users, n->users, (size_t)count * sizeof users[0]);
	all = n->all;
	n->nusers = n->all = 0;
	pthread_mutex_unlock(&n->lock);
	if (all)
		conn_wake_parked(n->w, 0);
	else
		for (i = 0; i < count; i++)
			conn_wake_parked(n->w, users[i]);
}

/* Waits `ms` for the socket (or -1: none) or a stop; 1 when stopping. */
static int
notify_wait(struct notify *n, int sock, int ms)
{
	struct pollfd	pfd[2] = {
		{ .fd = n->stop_fd, .events = POLLIN },
		{ .fd = sock, .events = POLLIN },
	};

	if (poll(pfd, sock == -1 ? 1 : 2, ms) == -1 && errno != EINTR)
		log_warn("notify: poll");
	return (pfd[0].revents & POLLIN) != 0;
}

/* Connects and LISTENs; NULL (and a log line when it was up) on failure. */
static PGconn *
notify_listen(struct notify *n, int *was_up)
{
	PGconn		*conn;
	PGresult	*res;
	char		*cause = NULL;

	if ((conn = db_connect(tres_pg(n->w), &cause)) == NULL)
		goto fail;
	res = PQexec(conn, "LISTEN " NOTIFY_CHANNEL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		cause = xasprintf("LISTEN: %s", PQerrorMessage(conn));
		PQclear(res);
		PQfinish(conn);
		goto fail;
	}
	PQclear(res);
	log_info("notify: listening for new notifications");
	*was_up = 1;
	/* Whatever came while we did not listen is found by a new look. */
	notify_post(n, 0);
	return conn;
fail:
	if (*was_up)
		log_warnx("notify: not listening, retrying every %d ms: %s",
		    NOTIFY_RETRY_MS, cause);
	*was_up = 0;
	free(cause);
	return NULL;
}

static void *
notify_main(void *arg)
{
	struct notify	*n = arg;
	PGconn		*conn = NULL;
	PGnotify	*note;
	int		 up = 1;

	for (;;) {
		if (conn == NULL && (conn = notify_listen(n, &up)) == NULL) {
			if (notify_wait(n, -1, NOTIFY_RETRY_MS))
				break;
			continue;
		}
		/* Keepalives (db.c) end a wait on a server that vanished. */
		if (notify_wait(n, PQsocket(conn), -1))
			break;
		if (PQconsumeInput(conn) == 0) {
			log_warnx("notify: connection lost: %s",
			    PQerrorMessage(conn));
			PQfinish(conn);
			conn = NULL;
			continue;
		}
		while ((note = PQnotifies(conn)) != NULL) {
			notify_post(n, strtoll(note->extra, NULL, 10));
			PQfreemem(note);
		}
	}
	if (conn != NULL)
		PQfinish(conn);
	return NULL;
}

int
notify_start(struct workerd *w, char **cause)
{
	struct notify	*n;

	n = xcalloc(1, sizeof *n);
	n->w = w;
	pthread_mutex_init(&n->lock, NULL);
	if ((n->stop_fd = eventfd(0, EFD_CLOEXEC)) == -1) {
		*cause = xasprintf("notify: eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((n->ev = event_new(w->base, -1, 0, notify_cb, n)) == NULL) {
		*cause = xstrdup("notify: cannot make an event");
		goto fail;
	}
	if (thread_start(&n->thread, "notify", 0, notify_main, n,
	    cause) != 0)
		goto fail;
	w->notify = n;
	return 0;
fail:
	if (n->ev != NULL)
		event_free(n->ev);
	if (n->stop_fd != -1)
		close(n->stop_fd);
	pthread_mutex_destroy(&n->lock);
	free(n);
	return -1;
}

void
notify_stop(struct workerd *w)
{
	struct notify	*n = w->notify;
	uint64_t	 one = 1;

	if (n == NULL)
		return;
	if (write(n->stop_fd, &one, sizeof one) != sizeof one)
		log_warn("notify: cannot stop the thread");
	pthread_join(n->thread, NULL);
	event_free(n->ev);
	close(n->stop_fd);
	pthread_mutex_destroy(&n->lock);
	free(n);
	w->notify = NULL;
}
