/*
 * broker-topology.c — the exchanges, queues and bindings of the system.
 *
 *   pfo3.jobs (direct)  -report---->  pfo3.jobs.report     \  dead-lettered
 *                       -thumbnail->  pfo3.jobs.thumbnail   > when rejected
 *                       -task------>  pfo3.jobs.task       /  without requeue
 *   pfo3.dead (fanout)  ----------->  pfo3.jobs.dead  (also broker_retry's
 *                                                      last resort)
 *   pfo3.retry (headers) -level n-->  pfo3.retry.<n>  --expired--> pfo3.jobs
 *   pfo3.events (topic)   user.<id>.notification, worker.<id>.stats;
 *                         subscribers bind queues of their own
 *
 * Everything is durable; the job, dead and retry queues have the configured
 * x-queue-type (classic, or quorum for a cluster).
 *
 * The job queues and their bindings are those of the job types declared in
 * common/job-types.c: a type added there gets its queue here.
 *
 * pfo3.dead is a fanout: every dead job lands in pfo3.jobs.dead whatever its
 * type, a type added later included, without one binding per type.
 *
 * Retries with exponential backoff.  A failed attempt n waits
 * retry_delay * 2^(n-1) in a delay queue that nobody consumes, then
 * expires and is dead-lettered back to pfo3.jobs with its own routing key
 * (the job type: the delay queues set no x-dead-letter-routing-key).
 * The delay is the message's own `expiration`, not a queue x-message-ttl,
 * so changing amqp.retry_delay never makes a redeclare fail.
 * But RabbitMQ only expires the message at the head of a queue: in one
 * queue per type, a message waiting 32 s at the head would hold back a
 * 2 s retry queued behind it.  So there is one delay queue per level n
 * (pfo3.retry.<n>, n = 1..min(max_retries, BROKER_RETRY_LEVELS), shared by
 * every type): every message of a queue waits the same time, so the head
 * is always the first to expire.  (Only workers configured with different
 * retry delays break that, and then a retry merely waits a little longer.)  The headers exchange picks the queue
 * from the message's pfo3-retry-level header, which leaves the routing
 * key free to carry the job type through the round trip.  (Not "x-…": a
 * headers exchange ignores binding arguments whose names start with "x-",
 * so such a binding would match every message and each retry would be
 * copied into every delay queue.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-int.h"
#include "conf.h"
#include "job-types.h"
#include "log.h"
#include "xmalloc.h"

/* The cause of a failed declare of `kind` `name`, with a hint when it
 * exists with other arguments (406 PRECONDITION_FAILED). */
static int
broker_declare_failed(struct broker *b, const char *kind, const char *name,
    char *why, char **cause)
{
	if (b->last_code == 406)
		*cause = xasprintf("%s %s exists with other arguments (delete "
		    "it, or configure what it has): %s", kind, name, why);
	else
		*cause = xasprintf("%s %s: %s", kind, name, why);
	free(why);
	return -1;
}

static int
broker_exchange(struct broker *b, const char *name, const char *type,
    char **cause)
{
	char	*full, *why;
	int	 rc = 0;

	full = broker_name(b, name);
	amqp_exchange_declare(b->conn, BROKER_CHANNEL, amqp_cstring_bytes(full),
	    amqp_cstring_bytes(type), 0, 1, 0, 0, amqp_empty_table);
	if (broker_reply(b, amqp_get_rpc_reply(b->conn), "declare",
	    &why) != 0)
		rc = broker_declare_failed(b, "exchange", full, why, cause);
	free(full);
	return rc;
}

/* Declares queue `name` dead-lettered to exchange `dlx` (NULL: none). */
static int
broker_queue(struct broker *b, const char *name, const char *dlx,
    char **cause)
{
	amqp_table_entry_t	 e[2];
	amqp_table_t		 args;
	char			*full, *dlxfull = NULL, *why;
	int			 rc = 0;

	full = broker_name(b, name);
	e[0].key = amqp_cstring_bytes("x-queue-type");
	e[0].value.kind = AMQP_FIELD_KIND_UTF8;
	e[0].value.value.bytes = amqp_cstring_bytes(b->conf->queue_type);
	args.entries = e;
	args.num_entries = 1;
	if (dlx != NULL) {
		dlxfull = broker_name(b, dlx);
		e[1].key = amqp_cstring_bytes("x-dead-letter-exchange");
		e[1].value.kind = AMQP_FIELD_KIND_UTF8;
		e[1].value.value.bytes = amqp_cstring_bytes(dlxfull);
		args.num_entries = 2;
	}
	amqp_queue_declare(b->conn, BROKER_CHANNEL, amqp_cstring_bytes(full),
	    0, 1, 0, 0, args);
	if (broker_reply(b, amqp_get_rpc_reply(b->conn), "declare",
	    &why) != 0)
		rc = broker_declare_failed(b, "queue", full, why, cause);
	free(dlxfull);
	free(full);
	return rc;
}

static int
broker_bind(struct broker *b, const char *queue, const char *exchange,
    const char *key, amqp_table_t args, char **cause)
{
	char	*q, *x, *what;
	int	 rc;

	q = broker_name(b, queue);
	x = broker_name(b, exchange);
	what = xasprintf("bind queue %s to %s with key '%s'", q, x, key);
	amqp_queue_bind(b->conn, BROKER_CHANNEL, amqp_cstring_bytes(q),
	    amqp_cstring_bytes(x), amqp_cstring_bytes(key), args);
	rc = broker_reply(b, amqp_get_rpc_reply(b->conn), what, cause);
	free(what);
	free(q);
	free(x);
	return rc;
}

/* How many delay queues the configuration needs. */
static int
broker_retry_levels(const struct broker *b)
{
	if (b->conf->max_retries < BROKER_RETRY_LEVELS)
		return (int)b->conf->max_retries;
	return BROKER_RETRY_LEVELS;
}

static int
broker_declare_retry(struct broker *b, char **cause)
{
	amqp_table_entry_t	 e[2];
	amqp_table_t		 args;
	char			 queue[64], level[16];
	int			 n;

	if (broker_exchange(b, BROKER_RETRY, "headers", cause) != 0)
		return -1;
	for (n = 1; n <= broker_retry_levels(b); n++) {
		snprintf(queue, sizeof queue, "%s%d", BROKER_RETRY_QUEUE, n);
		snprintf(level, sizeof level, "%d", n);
		if (broker_queue(b, queue, BROKER_JOBS, cause) != 0)
			return -1;
		e[0].key = amqp_cstring_bytes("x-match");
		e[0].value.kind = AMQP_FIELD_KIND_UTF8;
		e[0].value.value.bytes = amqp_cstring_bytes("all");
		e[1].key = amqp_cstring_bytes("pfo3-retry-level");
		e[1].value.kind = AMQP_FIELD_KIND_UTF8;
		e[1].value.value.bytes = amqp_cstring_bytes(level);
		args.entries = e;
		args.num_entries = 2;
		if (broker_bind(b, queue, BROKER_RETRY, "", args, cause) != 0)
			return -1;
	}
	return 0;
}

int
broker_declare_topology(struct broker *b, char **cause)
{
	const char *const	*t;
	char			*queue;
	int			 rc;

	if (broker_ready(b, cause) != 0)
		return -1;
	if (broker_exchange(b, BROKER_DEAD, "fanout", cause) != 0 ||
	    broker_queue(b, BROKER_DEAD_QUEUE, NULL, cause) != 0 ||
	    broker_bind(b, BROKER_DEAD_QUEUE, BROKER_DEAD, "",
	    amqp_empty_table, cause) != 0)
		return -1;
	if (broker_exchange(b, BROKER_JOBS, "direct", cause) != 0)
		return -1;
	for (t = job_types; *t != NULL; t++) {
		queue = xasprintf("%s%s", BROKER_QUEUE_PREFIX, *t);
		rc = broker_queue(b, queue, BROKER_DEAD, cause);
		if (rc == 0)
			rc = broker_bind(b, queue, BROKER_JOBS, *t,
			    amqp_empty_table, cause);
		free(queue);
		if (rc != 0)
			return -1;
	}
	if (broker_declare_retry(b, cause) != 0)
		return -1;
	if (broker_exchange(b, BROKER_EVENTS, "topic", cause) != 0)
		return -1;
	amqp_maybe_release_buffers_on_channel(b->conn, BROKER_CHANNEL);
	log_debug("%s: topology declared (prefix '%s', %s queues)", b->url,
	    b->prefix, b->conf->queue_type);
	return 0;
}

static int
broker_delete_queue(struct broker *b, const char *name, char **cause)
{
	char	*full, *what;
	int	 rc;

	full = broker_name(b, name);
	what = xasprintf("delete queue %s", full);
	amqp_queue_delete(b->conn, BROKER_CHANNEL, amqp_cstring_bytes(full),
	    0, 0);
	rc = broker_reply(b, amqp_get_rpc_reply(b->conn), what, cause);
	free(what);
	free(full);
	return rc;
}

static int
broker_delete_exchange(struct broker *b, const char *name, char **cause)
{
	char	*full, *what;
	int	 rc;

	full = broker_name(b, name);
	what = xasprintf("delete exchange %s", full);
	amqp_exchange_delete(b->conn, BROKER_CHANNEL, amqp_cstring_bytes(full),
	    0);
	rc = broker_reply(b, amqp_get_rpc_reply(b->conn), what, cause);
	free(what);
	free(full);
	return rc;
}

/* Every level is deleted, not only those of this configuration: another
 * worker may have declared more. */
int
broker_delete_topology(struct broker *b, char **cause)
{
	const char *const	*t;
	char			 queue[64];
	int			 n;

	if (broker_ready(b, cause) != 0)
		return -1;
	for (t = job_types; *t != NULL; t++) {
		snprintf(queue, sizeof queue, "%s%s", BROKER_QUEUE_PREFIX, *t);
		if (broker_delete_queue(b, queue, cause) != 0)
			return -1;
	}
	for (n = 1; n <= BROKER_RETRY_LEVELS; n++) {
		snprintf(queue, sizeof queue, "%s%d", BROKER_RETRY_QUEUE, n);
		if (broker_delete_queue(b, queue, cause) != 0)
			return -1;
	}
	if (broker_delete_queue(b, BROKER_DEAD_QUEUE, cause) != 0 ||
	    broker_delete_exchange(b, BROKER_JOBS, cause) != 0 ||
	    broker_delete_exchange(b, BROKER_RETRY, cause) != 0 ||
	    broker_delete_exchange(b, BROKER_DEAD, cause) != 0 ||
	    broker_delete_exchange(b, BROKER_EVENTS, cause) != 0)
		return -1;
	amqp_maybe_release_buffers_on_channel(b->conn, BROKER_CHANNEL);
	return 0;
}

int
broker_queue_depth(struct broker *b, const char *queue, uint32_t *messages,
    uint32_t *consumers, char **cause)
{
	amqp_queue_declare_ok_t	*ok;
	char			*full, *what;
	int			 rc = -1;

	if (broker_ready(b, cause) != 0)
		return -1;
	full = broker_name(b, queue);
	what = xasprintf("queue %s", full);
	ok = amqp_queue_declare(b->conn, BROKER_CHANNEL,
	    amqp_cstring_bytes(full), 1, 0, 0, 0, amqp_empty_table);
	if (broker_reply(b, amqp_get_rpc_reply(b->conn), what, cause) == 0 &&
	    ok != NULL) {
		if (messages != NULL)
			*messages = ok->message_count;
		if (consumers != NULL)
			*consumers = ok->consumer_count;
		rc = 0;
	}
	amqp_maybe_release_buffers_on_channel(b->conn, BROKER_CHANNEL);
	free(what);
	free(full);
	return rc;
}
