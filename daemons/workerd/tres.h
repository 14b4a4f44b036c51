/*
 * tres.h — a thread's own connections to PostgreSQL, S3 and RabbitMQ: the
 * one way the worker's handlers and jobs reach a service.
 *
 * The libraries' handles are not thread-safe (a PGconn, a CURL handle, an
 * AMQP connection), so each pool thread lazily opens its own and keeps it
 * for its life: a request reuses the thread's warm connection instead of
 * paying a handshake.  PostgreSQL keeps its per-thread connection inside
 * db.c; these calls give it the worker's current settings, so no caller
 * handles postgres.* itself.
 */
#ifndef PFO3_TRES_H
#define PFO3_TRES_H

#include <stddef.h>

#include <libpq-fe.h>

struct conf_postgres;
struct workerd;
struct s3;

/*
 * db_exec and db_exec_retry (db.h) on the calling thread's PostgreSQL
 * connection: a statement run at most once, or one safe to run twice.
 */
PGresult *tres_db_exec(struct workerd *w, const char *sql, int nparams,
	    const char *const *params, char **cause);
PGresult *tres_db_exec_retry(struct workerd *w, const char *sql,
	    int nparams, const char *const *params, char **cause);
/*
 * The PostgreSQL settings, for the service library's calls that take
 * them (the storage ledger, db_conn, a session of one's own).
 */
const struct conf_postgres *tres_pg(struct workerd *w);

/* The calling thread's S3 client; NULL with *cause when it cannot be made. */
struct s3 *tres_s3(struct workerd *w, char **cause);
/*
 * Publishes a persistent message on the calling thread's broker connection
 * and waits for the broker's confirm.  A connection found dead (a broker
 * restart, a heartbeat missed while the thread was idle) is replaced and
 * the publish tried once more.  0, or -1 with *cause.
 */
int	tres_publish(struct workerd *w, const char *exchange,
	    const char *routing_key, const void *body, size_t len,
	    char **cause);

#endif
