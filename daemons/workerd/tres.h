/*
 * tres.h — a pool thread's own connections to S3 and RabbitMQ.
 *
 * The libraries' handles are not thread-safe (a CURL handle, an AMQP
 * connection), so each pool thread lazily opens its own and keeps it for
 * its life: a request reuses the thread's warm connection instead of
 * paying a handshake.  PostgreSQL works the same way inside db.c.
 */
#ifndef PFO3_TRES_H
#define PFO3_TRES_H

#include <stddef.h>

struct workerd;
struct s3;

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
