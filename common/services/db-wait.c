/*
 * db-wait.c — a statement's reply awaited with a deadline, and the cancel
 * of one given up on.  libpq's own waits have none: a frozen server's
 * kernel keeps the connection looking alive for as long as it likes.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <libpq-fe.h>

#include "clock.h"
#include "db.h"
#include "db-int.h"
#include "log.h"
#include "thread.h"
#include "xmalloc.h"

/*
 * Cancels the statement of a connection given up on.  PQcancel opens a
 * connection of its own and waits for the server to close it, which a
 * frozen server never does: it runs on a detached thread, never on the
 * thread that gave up, and at most DB_CANCELS run at once (past that the
 * dropped connection alone ends the statement once the server wakes).
 */
#define DB_CANCELS	8
static atomic_int db_cancels;

static void *
db_cancel_main(void *arg)
{
	PGcancel *cn = arg;
	char err[256];

	if (!PQcancel(cn, err, sizeof err))
		log_debug("PostgreSQL cancel: %s", err);
	PQfreeCancel(cn);
	atomic_fetch_sub(&db_cancels, 1);
	return NULL;
}

void
db_cancel_later(PGconn *conn)
{
	pthread_t thread;
	PGcancel *cn;
	char *why;

	if (atomic_fetch_add(&db_cancels, 1) >= DB_CANCELS) {
		atomic_fetch_sub(&db_cancels, 1);
		log_debug("PostgreSQL: %d cancels pending, not sending another",
		    DB_CANCELS);
		return;
	}
	if ((cn = PQgetCancel(conn)) == NULL) {
		atomic_fetch_sub(&db_cancels, 1);
		return;
	}
	if (thread_start(&thread, "pg-cancel", 1, db_cancel_main, cn,
	    &why) != 0) {
		log_warnx("PostgreSQL cancel: %s", why);
		free(why);
		PQfreeCancel(cn);
		atomic_fetch_sub(&db_cancels, 1);
	}
}

/*
 * Collects the reply to the statement just sent on `conn`, as PQexec
 * would (the last result; an error wins), waiting at most timeout_ms
 * (<= 0: no bound) in poll() on the socket.  libpq's own waits have no
 * deadline, and a frozen server's kernel keeps the connection looking
 * alive.  NULL with *overdue set when the deadline passed first; NULL
 * alone when the connection failed before any result.
 */
PGresult *
db_wait(PGconn *conn, int64_t timeout_ms, int *overdue)
{
	PGresult *res = NULL, *r;
	struct pollfd pfd;
	ExecStatusType st;
	int64_t deadline = 0, left;

	*overdue = 0;
	if (timeout_ms > 0)
		deadline = clock_mono_ms() + timeout_ms;
	for (;;) {
		while (PQisBusy(conn) && (pfd.fd = PQsocket(conn)) >= 0) {
			left = deadline != 0 ? deadline - clock_mono_ms() : -1;
			if (deadline != 0 && left <= 0) {
				*overdue = 1;
				PQclear(res);
				return NULL;
			}
			pfd.events = POLLIN;
			if (left > INT_MAX)
				left = INT_MAX;
			if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
				break;
			if (!PQconsumeInput(conn))
				break;	/* lost: PQgetResult says so */
		}
		if ((r = PQgetResult(conn)) == NULL)
			return res;
		st = PQresultStatus(r);
		if (res != NULL && (PQresultStatus(res) == PGRES_FATAL_ERROR ||
		    PQresultStatus(res) == PGRES_NONFATAL_ERROR))
			PQclear(r);
		else {
			PQclear(res);
			res = r;
		}
		/* COPY and a dead connection have no end to wait for. */
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT ||
		    st == PGRES_COPY_BOTH || PQstatus(conn) == CONNECTION_BAD)
			return res;
	}
}
