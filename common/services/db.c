/*
 * db.c — see db.h.
 *
 * A thread's state is one struct behind a pthread key whose destructor
 * closes its connections, so a pool thread that exits leaves no session
 * behind on the server.  The state is created on first use: threads that
 * never touch the database cost nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "clock.h"
#include "db.h"
#include "db-int.h"
#include "log.h"
#include "xmalloc.h"

/* How long a thread fails fast after a failed connection attempt. */
#define DB_RETRY_MS	1000

/* One connection and the settings it was made with. */
struct db_link {
	PGconn		*conn;
	char		*conninfo;
	int64_t		 connect_timeout;
	int64_t		 statement_timeout;
	int64_t		 tcp_user_timeout;
	int64_t		 keepalive_idle;
	int64_t		 query_timeout;	/* of its last statement */
	char		*error;		/* why the last attempt failed */
	int64_t		 retry_at_ms;	/* no new attempt before this */
};

struct db_thread {
	struct db_link	 main;		/* db_conn, db_exec */
	struct db_link	 ping;		/* db_ping */
	char		 sqlstate[6];	/* of the last failed db_exec */
};

static pthread_key_t db_key;
static pthread_once_t db_key_once = PTHREAD_ONCE_INIT;

static void
db_link_close(struct db_link *l)
{
	if (l->conn != NULL)
		PQfinish(l->conn);
	l->conn = NULL;
	free(l->conninfo);
	l->conninfo = NULL;
	free(l->error);
	l->error = NULL;
	l->retry_at_ms = 0;
}

/* The key's destructor: runs when a thread that used the database exits. */
static void
db_thread_free(void *arg)
{
	struct db_thread *t = arg;

	db_link_close(&t->main);
	db_link_close(&t->ping);
	free(t);
}

static void
db_key_create(void)
{
	int error;

	if ((error = pthread_key_create(&db_key, db_thread_free)) != 0)
		fatalx("pthread_key_create: %s", strerror(error));
}

/* The calling thread's state; `create`: make it when missing. */
static struct db_thread *
db_thread(int create)
{
	struct db_thread *t;

	pthread_once(&db_key_once, db_key_create);
	t = pthread_getspecific(db_key);
	if (t == NULL && create) {
		t = xcalloc(1, sizeof *t);
		pthread_setspecific(db_key, t);
	}
	return t;
}

/*
 * Gives up on the statement running on `l`: cancels it from another
 * thread and drops the connection, so the next use makes a new one (after
 * DB_RETRY_MS for a thread that backs off).
 */
static void
db_abandon(struct db_link *l, int64_t timeout_ms)
{
	char *why;

	why = xasprintf("PostgreSQL did not answer within %lld ms "
	    "(postgres.query_timeout): statement cancelled, connection dropped",
	    (long long)timeout_ms);
	log_warnx("%s", why);
	db_cancel_later(l->conn);
	db_link_close(l);
	l->error = why;
	l->retry_at_ms = clock_mono_ms() + DB_RETRY_MS;
}

/*
 * Runs one statement on the connection of `l` within c->query_timeout.
 * The result as PQexecParams gives it (NULL when the connection failed);
 * NULL with *overdue when the deadline passed: the link is then closed and
 * its error says why.
 */
static PGresult *
db_send_wait(struct db_link *l, const char *sql, int nparams,
    const char *const *params, int64_t timeout_ms, int *overdue)
{
	PGresult *res;

	*overdue = 0;
	l->query_timeout = timeout_ms;
	if (!PQsendQueryParams(l->conn, sql, nparams, NULL, params, NULL, NULL,
	    0))
		return NULL;
	res = db_wait(l->conn, timeout_ms, overdue);
	if (*overdue)
		db_abandon(l, timeout_ms);
	return res;
}

static PGresult *
db_run(struct db_link *l, const struct conf_postgres *c, const char *sql,
    int nparams, const char *const *params, int *overdue)
{
	return db_send_wait(l, sql, nparams, params, c->query_timeout,
	    overdue);
}

/* True when `l` was made with the settings of `c`. */
static int
db_link_matches(const struct db_link *l, const struct conf_postgres *c)
{
	return l->conninfo != NULL && strcmp(l->conninfo, c->conninfo) == 0 &&
	    l->connect_timeout == c->connect_timeout &&
	    l->statement_timeout == c->statement_timeout &&
	    l->tcp_user_timeout == c->tcp_user_timeout &&
	    l->keepalive_idle == c->keepalive_idle;
}

/*
 * Returns the usable connection of `l` for the settings of `c`: the one it
 * has, reset or made anew.  `backoff`: after a failed attempt, fail fast
 * until retry_at_ms.  NULL and *cause on failure.
 */
static PGconn *
db_link_get(struct db_link *l, const struct conf_postgres *c, int backoff,
    char **cause)
{
	char *err = NULL;
	int64_t now;

	if (l->conn != NULL && !db_link_matches(l, c)) {
		log_debug("PostgreSQL settings changed: reconnecting");
		db_link_close(l);
	}
	if (l->conn != NULL && PQstatus(l->conn) == CONNECTION_OK)
		return l->conn;

	now = clock_mono_ms();
	if (backoff && l->error != NULL && now < l->retry_at_ms) {
		*cause = xasprintf("%s (next attempt in %lld ms)", l->error,
		    (long long)(l->retry_at_ms - now));
		return NULL;
	}
	if (l->conn != NULL) {
		/* Same settings, broken connection: PQreset reuses them. */
		PQreset(l->conn);
		if (PQstatus(l->conn) == CONNECTION_OK) {
			log_info("reconnected to PostgreSQL (backend %d)",
			    PQbackendPID(l->conn));
			free(l->error);
			l->error = NULL;
			return l->conn;
		}
		err = db_oneline(PQerrorMessage(l->conn));
		free(l->error);
		l->error = xasprintf("cannot reconnect to PostgreSQL: %s", err);
		free(err);
		PQfinish(l->conn);
		l->conn = NULL;
	} else if ((l->conn = db_connect(c, &err)) != NULL) {
		free(l->conninfo);
		l->conninfo = xstrdup(c->conninfo);
		l->connect_timeout = c->connect_timeout;
		l->statement_timeout = c->statement_timeout;
		l->tcp_user_timeout = c->tcp_user_timeout;
		l->keepalive_idle = c->keepalive_idle;
		free(l->error);
		l->error = NULL;
		return l->conn;
	} else {
		free(l->error);
		l->error = err;
	}
	l->retry_at_ms = clock_mono_ms() + DB_RETRY_MS;
	*cause = xstrdup(l->error);
	return NULL;
}

PGconn *
db_conn(const struct conf_postgres *c, char **cause)
{
	return db_link_get(&db_thread(1)->main, c, 1, cause);
}

const char *
db_sqlstate(const PGresult *res)
{
	const char *s;

	if (res == NULL)
		return "";
	s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return s != NULL ? s : "";
}

const char *
db_last_sqlstate(void)
{
	struct db_thread *t = db_thread(0);

	return t != NULL ? t->sqlstate : "";
}

/* Accepts any outcome of a statement on `conn`; the cause of its failure. */
static char *
db_result_cause(PGconn *conn, const PGresult *res)
{
	const char *msg, *state = db_sqlstate(res);
	char *line, *cause;
	ExecStatusType st;

	msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	if (PQstatus(conn) == CONNECTION_BAD) {
		line = db_oneline(PQerrorMessage(conn));
		cause = xasprintf("connection to PostgreSQL lost: %s", line);
		free(line);
		return cause;
	}
	if (msg != NULL && *state != '\0')
		return xasprintf("PostgreSQL: %s (SQLSTATE %s)", msg, state);
	st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_FATAL_ERROR && st != PGRES_NONFATAL_ERROR)
		return xasprintf("PostgreSQL: unexpected result %s",
		    PQresStatus(st));
	line = db_oneline(res != NULL ? PQresultErrorMessage(res) :
	    PQerrorMessage(conn));
	cause = xasprintf("PostgreSQL: %s", line);
	free(line);
	return cause;
}

static int
db_result_ok(const PGresult *res)
{
	ExecStatusType st;

	if (res == NULL)
		return 0;
	st = PQresultStatus(res);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* db_exec and db_exec_retry; `retry`: the statement may run twice. */
static PGresult *
db_exec_flags(const struct conf_postgres *c, const char *sql, int nparams,
    const char *const *params, int retry, char **cause)
{
	struct db_thread *t = db_thread(1);
	PGconn *conn;
	PGresult *res;
	ExecStatusType st;
	int idle, overdue;

	t->sqlstate[0] = '\0';
	if ((conn = db_link_get(&t->main, c, 1, cause)) == NULL)
		return NULL;
	/* Outside a transaction a lost statement is all that is lost. */
	idle = PQtransactionStatus(conn) == PQTRANS_IDLE;
	res = db_run(&t->main, c, sql, nparams, params, &overdue);
	if (db_result_ok(res))
		return res;
	/* Not run again: it may still run, and the server does not answer. */
	if (overdue) {
		*cause = xstrdup(t->main.error);
		return NULL;
	}

	if (retry && idle && PQstatus(conn) == CONNECTION_BAD) {
		char *line = db_oneline(PQerrorMessage(conn));

		log_warnx("connection to PostgreSQL lost (%s): reconnecting "
		    "to run the statement again", line);
		free(line);
		PQclear(res);
		if ((conn = db_link_get(&t->main, c, 0, cause)) == NULL)
			return NULL;
		res = db_run(&t->main, c, sql, nparams, params, &overdue);
		if (db_result_ok(res))
			return res;
		if (overdue) {
			*cause = xstrdup(t->main.error);
			return NULL;
		}
	}

	*cause = db_result_cause(conn, res);
	snprintf(t->sqlstate, sizeof t->sqlstate, "%s", db_sqlstate(res));
	st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	PQclear(res);
	/*
	 * A COPY leaves the session waiting for data this API never sends:
	 * drop the connection rather than hand the next job a stuck one.
	 */
	if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
		db_link_close(&t->main);
	return NULL;
}

PGresult *
db_exec(const struct conf_postgres *c, const char *sql, int nparams,
    const char *const *params, char **cause)
{
	return db_exec_flags(c, sql, nparams, params, 0, cause);
}

PGresult *
db_exec_retry(const struct conf_postgres *c, const char *sql, int nparams,
    const char *const *params, char **cause)
{
	return db_exec_flags(c, sql, nparams, params, 1, cause);
}

void
db_release(void)
{
	struct db_thread *t = db_thread(0);
	PGTransactionStatusType ts;
	PGresult *res;
	int overdue;

	if (t == NULL || t->main.conn == NULL ||
	    PQstatus(t->main.conn) != CONNECTION_OK)
		return;
	ts = PQtransactionStatus(t->main.conn);
	if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
		return;
	log_warnx("a transaction was left open: rolling it back");
	/* Within the deadline the statements on this link had. */
	res = db_send_wait(&t->main, "ROLLBACK", 0, NULL, t->main.query_timeout,
	    &overdue);
	if (overdue)
		return;		/* dropped, and its transaction with it */
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		/* A session in an unknown state is not worth keeping. */
		log_warnx("ROLLBACK failed: closing the connection");
		db_link_close(&t->main);
	}
	PQclear(res);
}

int
db_ping(const struct conf_postgres *c, double *latency_ms, char **cause)
{
	struct db_thread *t = db_thread(1);
	PGconn *conn;
	PGresult *res;
	int64_t start, took;
	int fresh, attempt, overdue;

	for (attempt = 0;; attempt++) {
		fresh = t->ping.conn == NULL ||
		    PQstatus(t->ping.conn) != CONNECTION_OK;
		if ((conn = db_link_get(&t->ping, c, 0, cause)) == NULL)
			return -1;
		start = clock_mono_us();
		res = db_run(&t->ping, c, "SELECT 1", 0, NULL, &overdue);
		took = clock_mono_us() - start;
		if (overdue) {
			*cause = xstrdup(t->ping.error);
			return -1;
		}
		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			PQclear(res);
			*latency_ms = (double)took / 1000.0;
			return 0;
		}
		/*
		 * A connection that died since the last probe (a server
		 * restart) says nothing about the server now: try again.
		 */
		if (fresh || attempt > 0 || PQstatus(conn) != CONNECTION_BAD) {
			*cause = db_result_cause(conn, res);
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
}

void
db_close(void)
{
	struct db_thread *t = db_thread(0);

	if (t == NULL)
		return;
	pthread_setspecific(db_key, NULL);
	db_thread_free(t);
}
