/*
 * db.h — PostgreSQL for pool threads: one connection per thread.
 *
 * libpq allows one thread at a time per PGconn, and a pool thread blocks on
 * its queries anyway, so each thread that asks gets a connection of its own,
 * kept in thread-local storage and closed when the thread exits.  Nothing is
 * shared between threads and nothing needs a lock.
 *
 * Every connection is made from postgres.conninfo (a key=value string or a
 * postgresql:// URI, passed to libpq as data, never pasted into another
 * string) plus postgres.connect_timeout and postgres.statement_timeout
 * (sent as `-c statement_timeout=…` after any options of the conninfo).
 * TCP keepalives and tcp_user_timeout are set unless the conninfo sets
 * them, so a server that vanishes fails a query instead of hanging a
 * thread.  The conninfo is never logged: it may hold a password.
 *
 * A lost connection (server restart, terminated backend) is reset on the
 * next use.  After a failed connection attempt the thread fails fast for
 * a second instead of making every request wait for connect_timeout.
 */
#ifndef PFO3_DB_H
#define PFO3_DB_H

#include <libpq-fe.h>

#include "conf.h"

/*
 * A new connection of its own, for callers that need a session of their
 * own (migrations, tests); the caller PQfinish-es it.  NULL and *cause
 * (without the conninfo) on failure.
 */
PGconn	*db_connect(const struct conf_postgres *c, char **cause);

/*
 * The calling thread's connection: made on first use, reset with PQreset
 * when it is CONNECTION_BAD, remade when `c` differs from the settings it
 * was made with (a reload).  NULL and *cause when PostgreSQL cannot be
 * reached.  The connection stays owned by the thread: do not PQfinish it.
 */
PGconn	*db_conn(const struct conf_postgres *c, char **cause);

/*
 * Runs one statement on the calling thread's connection with PQexecParams
 * (text parameters, text results): `params` are data, never parsed as SQL.
 * Returns the result of a statement that succeeded (COMMAND_OK or
 * TUPLES_OK), which the caller PQclear-s; NULL and *cause on any error,
 * the cause holding the server's message and SQLSTATE ("… (SQLSTATE
 * 23505)"); db_last_sqlstate() then tells the SQLSTATE alone.
 *
 * db_exec never runs a statement twice: when the connection is lost during
 * the call, the statement may or may not have run, and it fails.
 * db_exec_retry is for statements that are safe to run twice (reads,
 * idempotent writes): when the connection is lost during the call and no
 * transaction was open, it resets the connection and runs it once more.
 */
PGresult *db_exec(const struct conf_postgres *c, const char *sql,
	    int nparams, const char *const *params, char **cause);
PGresult *db_exec_retry(const struct conf_postgres *c, const char *sql,
	    int nparams, const char *const *params, char **cause);

/* The SQLSTATE of a result ("23505"), or "" when it has none or is NULL. */
const char *db_sqlstate(const PGresult *res);

/*
 * The SQLSTATE of the calling thread's last failed db_exec*, or "" when it
 * succeeded or failed without one (no connection, connection lost).  Lets
 * a handler tell a duplicate (23505) or a bad value (22…, 23…) from an
 * outage without parsing the cause.
 */
const char *db_last_sqlstate(void);

/*
 * Ends the calling thread's use of its connection for one job: a
 * transaction a handler left open (after an error, say) is rolled back, so
 * the next job on this thread starts outside any transaction.
 */
void	db_release(void);

/*
 * Checks that PostgreSQL answers `SELECT 1`, on a second connection of
 * the calling thread (separate from db_conn's, so a prober never disturbs
 * a transaction, and a busy pool never delays a probe).  A connection lost
 * since the last probe is reset and the probe retried once.  Returns 0 and
 * the round trip of the query in *latency_ms; -1 and *cause.
 */
int	db_ping(const struct conf_postgres *c, double *latency_ms, char **cause);

/* Closes the calling thread's connections now (threads that never exit,
 * such as the main thread, before the process ends). */
void	db_close(void);

#endif
