/*
 * db-int.h — what the files of the PostgreSQL client share; only db*.c
 * include it.
 */
#ifndef PFO3_DB_INT_H
#define PFO3_DB_INT_H

#include <stdint.h>

#include <libpq-fe.h>

/* db-connect.c: `msg` (libpq's, possibly several lines) on one line,
 * newly allocated. */
char		*db_oneline(const char *msg);

/* db-wait.c: the reply to the statement just sent on `conn` within
 * timeout_ms (<= 0: no bound); NULL with *overdue when the deadline came
 * first, NULL alone when the connection failed. */
PGresult	*db_wait(PGconn *conn, int64_t timeout_ms, int *overdue);
/* db-wait.c: cancels `conn`'s statement from a detached thread (at most a
 * few at once). */
void		 db_cancel_later(PGconn *conn);

#endif
