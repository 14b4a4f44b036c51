/*
 * deps.h — pfo3-ctld's view of the shared services: PostgreSQL (SELECT 1
 * latency, connections used of max), S3 (HEAD bucket), RabbitMQ (round
 * trip, and the depth of each job queue and of the dead-letter queue),
 * refreshed every ctld.interval by the dependency prober of the workers
 * (probe.h), one thread per dependency.
 *
 * The event thread only copies the last results (deps_json, deps_queues):
 * a dependency that hangs delays the next probe, never a status reply.
 */
#ifndef PFO3_DEPS_H
#define PFO3_DEPS_H

#include <stdint.h>

#include <jansson.h>

struct pfo3_conf;
struct deps;

struct deps *deps_start(const struct pfo3_conf *conf, char **cause);
void	deps_stop(struct deps *d);
/* {"postgres":{checked,ok,latency_ms,failures,error,connections{used,
 * max}}, "s3":…, "amqp":…}: probe_json, with PostgreSQL's connections. */
json_t	*deps_json(struct deps *d);
/* [{name,messages,unacked,consumers,in_s,out_s,dead_letter}] */
json_t	*deps_queues(struct deps *d, int64_t *jobs_queued);

/* mqapi.c: the RabbitMQ management API, for unacked counts and rates. */
struct mq_queue {
	char	 name[128];
	int64_t	 messages;	/* ready */
	int64_t	 unacked;
	int64_t	 consumers;
	double	 in_s;		/* publish rate */
	double	 out_s;		/* deliver/get rate */
};
struct mqapi;
struct conf_amqp;
/* `mq`'s user, password and vhost log in to the API at `api_url`. */
struct mqapi *mqapi_new(const char *api_url, const struct conf_amqp *mq,
	    int64_t timeout_ms, char **cause);
void	mqapi_free(struct mqapi *m);
/* Fills q[] with at most `max` queues of the vhost; their count, or -1
 * with *cause. */
int	mqapi_queues(struct mqapi *m, struct mq_queue *q, int max,
	    char **cause);

#endif
