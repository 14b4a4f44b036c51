/*
 * broker.h — the RabbitMQ client of both daemons: topology, confirmed
 * publishing, manual-ack consuming, retries with backoff, and temporary
 * subscriptions to a topic.
 *
 * One struct broker is one AMQP connection with one channel (1).  It is NOT
 * thread-safe and must never be shared between threads: every thread that
 * talks to the broker opens its own with broker_connect().  Heartbeats are
 * only answered while a broker_* call runs, so a thread that holds a
 * connection idle for longer than two heartbeats loses it.
 *
 * Failures return -1 (or NULL) with a message in *cause.  When the failure
 * means the connection is gone (socket error, missed heartbeats, the broker
 * closed it, a confirm that never came) broker_alive() turns 0 for good:
 * the caller frees the broker, connects again, declares the topology, and
 * republishes whatever was not confirmed.  A channel error (a declare with
 * other arguments, an unknown exchange) only costs the channel; the next
 * call opens a new one, but a consumer on the old channel is gone.
 *
 * Every exchange and queue name given to or made by this module gets the
 * broker's prefix (broker_set_prefix, "" by default), so a test or a second
 * system can share a vhost without touching the real names.
 */
#ifndef PFO3_BROKER_H
#define PFO3_BROKER_H

#include <stddef.h>
#include <stdint.h>

struct conf_amqp;
struct broker;

#define BROKER_JOBS		"pfo3.jobs"	/* direct: key = job type */
#define BROKER_DEAD		"pfo3.dead"	/* fanout: failed jobs */
#define BROKER_DEAD_QUEUE	"pfo3.jobs.dead"
#define BROKER_RETRY		"pfo3.retry"	/* headers: delay levels */
#define BROKER_EVENTS		"pfo3.events"	/* topic: user.<id>.notification,
						   worker.<id>.stats */
#define BROKER_QUEUE_PREFIX	"pfo3.jobs."	/* + job type */
#define BROKER_RETRY_QUEUE	"pfo3.retry."	/* + level, 1.. */

/* The job types, each with its queue BROKER_QUEUE_PREFIX<type>; NULL-ended:
 * job_types of common/job-types.h, where types are declared. */
extern const char *const *const broker_job_types;

struct broker_delivery {
	uint64_t	 tag;		/* for broker_ack / broker_reject */
	char		*exchange;	/* as the broker names it (prefixed) */
	char		*routing_key;	/* the job type on job queues */
	char		*content_type;	/* "" when the message had none */
	char		*message_id;	/* "" when the message had none */
	char		*reason;	/* header x-pfo3-reason, NULL if absent */
	void		*body;		/* a copy, NUL-terminated past `len` */
	size_t		 len;
	int		 redelivered;	/* delivered before, never acked */
	int		 attempt;	/* 1 on the first try; see broker_next */
};

/*
 * Connects to conf->url ($PFO3_AMQP_URL instead when set and not empty):
 * TCP, PLAIN login, channel 1, the RPC timeout and heartbeat of `conf`.
 * `client_name` is shown by the broker as the connection's name.  The
 * password never appears in logs or in *cause.  NULL + *cause on failure.
 * `conf` must outlive the broker.
 */
struct broker	*broker_connect(const struct conf_amqp *conf,
		    const char *client_name, char **cause);
/*
 * broker_connect that gives up at `deadline` (clock_mono_ms; 0: only the
 * configured timeouts), whatever phase it is in.  A caller who answers a
 * client bounds the whole attempt this way: a broker that accepts TCP but
 * is frozen would otherwise take connect + handshake + login + channel
 * timeouts one after another.
 */
struct broker	*broker_connect_until(const struct conf_amqp *conf,
		    const char *client_name, int64_t deadline, char **cause);
/* Every later blocking call on `b` (RPCs, confirms) ends by `deadline`
 * (clock_mono_ms) at the latest; 0 restores the configured timeouts. */
void		 broker_set_deadline(struct broker *b, int64_t deadline);
/* Closes the connection (politely when it is still alive) and frees `b`,
 * along with deliveries received but not yet returned by broker_next. */
void		 broker_free(struct broker *b);
/* 0 once the connection is known to be lost: reconnect. */
int		 broker_alive(const struct broker *b);
/* The socket, for poll(2) and for tests; -1 when there is none. */
int		 broker_fd(const struct broker *b);
/* Sets the prefix of every exchange and queue name (copied). */
void		 broker_set_prefix(struct broker *b, const char *prefix);
/* `url` with its password replaced by "***" (allocated). */
char		*broker_url_mask(const char *url);
/* The user, password and vhost broker_connect logs in with, decoded
 * (allocated): for the broker's management API.  -1 + *cause (without
 * the password) when the URL does not parse. */
int		 broker_login_of(const struct conf_amqp *conf, char **user,
		    char **password, char **vhost, char **cause);

/*
 * Declares every exchange, queue and binding of the system (see
 * broker-topology.c).  Idempotent.  When something exists with other
 * arguments (say a classic queue where quorum is configured) fails with
 * a cause naming it.
 */
int		 broker_declare_topology(struct broker *b, char **cause);
/* Deletes what broker_declare_topology declares, messages included; for
 * tests and for an operator's reset.  Missing pieces are not an error. */
int		 broker_delete_topology(struct broker *b, char **cause);
/* Messages ready in `queue` and its consumers, by a passive declare;
 * -1 + *cause when the queue does not exist.  Either pointer may be NULL. */
int		 broker_queue_depth(struct broker *b, const char *queue,
		    uint32_t *messages, uint32_t *consumers, char **cause);

/*
 * Publishes `body` to `exchange` ("" is the default exchange) with
 * `routing_key`, mandatory, and waits for the publisher confirm for up to
 * conf->confirm_timeout.  `content_type` may be NULL; `persistent` asks for
 * delivery mode 2.  Returns 0 once the broker acknowledged the message;
 * -1 + *cause when it nacked it, returned it as unroutable, the channel
 * or the connection failed, or the confirm did not come in time (the
 * connection is then considered lost: check broker_alive()).
 */
int		 broker_publish(struct broker *b, const char *exchange,
		    const char *routing_key, const void *body, size_t len,
		    const char *content_type, int persistent, char **cause);

/* Starts consuming `queue` with manual acks and conf->prefetch unacked
 * deliveries at most.  May be called for several queues. */
int		 broker_consume(struct broker *b, const char *queue,
		    char **cause);
/*
 * Subscribes to `exchange` (a topic exchange, prefixed like every name)
 * for the routing keys matching `binding_key` ("worker.*.stats"), through
 * a queue the broker names, exclusive to this connection and deleted with
 * it; `max_length` > 0 bounds it (the oldest messages are dropped).
 * Messages then arrive through broker_next, already acknowledged: never
 * broker_ack or broker_reject them.  Returns the queue's name (allocated),
 * or NULL + *cause.
 */
char		*broker_subscribe_topic(struct broker *b, const char *exchange,
		    const char *binding_key, uint32_t max_length, char **cause);
/*
 * Waits up to `timeout_ms` (< 0: no limit) for the next delivery.  Returns
 * 1 with `out` filled (free it with broker_delivery_clear), 0 on timeout,
 * -1 + *cause on error.  out->attempt is the x-attempt header set by
 * broker_retry, else 1 + the dead-letter count of the x-death header.
 */
int		 broker_next(struct broker *b, int timeout_ms,
		    struct broker_delivery *out, char **cause);
/* Frees what broker_next put in `d` and zeroes it. */
void		 broker_delivery_clear(struct broker_delivery *d);
int		 broker_ack(struct broker *b, uint64_t tag, char **cause);
/* Rejects one delivery: back to its queue when `requeue`, else to the
 * dead-letter exchange. */
int		 broker_reject(struct broker *b, uint64_t tag, int requeue,
		    char **cause);
/*
 * Handles a failed job: `attempt` (1-based) of job `type` failed because
 * of `reason`.  While attempt <= conf->max_retries, republishes the message
 * (confirmed) to run again after conf->retry_delay * 2^(attempt-1) as
 * attempt + 1, and returns 0; past that publishes it to the dead exchange
 * with header x-pfo3-reason and returns 1.  Then acks `d`.  On -1 `d` is
 * neither acked nor rejected.
 */
int		 broker_retry(struct broker *b, const struct broker_delivery *d,
		    const char *type, int attempt, const char *reason,
		    char **cause);
/* The delay before attempt + 1 after `attempt` failed (ms): doubling from
 * conf->retry_delay up to 16 levels, never more than a day. */
int64_t		 broker_retry_delay(const struct conf_amqp *conf, int attempt);

/*
 * A connection kept by one thread across failures (broker-keep.c).
 * broker_keep_get returns it, connecting first when there is none: the
 * connection, broker_declare_topology, then `setup` (NULL: nothing more;
 * say broker_subscribe_topic), which returns 0 or -1 + *cause.  After a
 * failure it returns NULL without trying until a backoff (0.5 s doubling
 * to 10 s, with jitter) has passed.  A caller whose call on the connection
 * failed hands the cause to broker_keep_failed, which closes it.  The
 * first failure of an outage is logged as "<client_name>: cause", its end
 * as "<client_name>: connected again".
 */
typedef int	(*broker_setup_fn)(struct broker *b, void *arg, char **cause);
struct broker_keep;
struct broker_keep *broker_keep_new(const struct conf_amqp *conf,
		    const char *client_name, broker_setup_fn setup, void *arg);
void		 broker_keep_free(struct broker_keep *k);
struct broker	*broker_keep_get(struct broker_keep *k);
void		 broker_keep_failed(struct broker_keep *k, const char *cause);
/* 1 while the connection is open and alive. */
int		 broker_keep_up(const struct broker_keep *k);

/* Connects, opens a channel and closes again, timing it: the health probe.
 * Logs nothing on success or failure (the prober reports). */
int		 broker_ping(const struct conf_amqp *conf, double *latency_ms,
		    char **cause);

#endif
