/*
 * probe.h — the worker's view of its dependencies (PostgreSQL, RabbitMQ,
 * S3), refreshed by one background thread every worker.probe_interval.
 *
 * /readyz, /metrics and `stats` read the last results without doing any
 * I/O: a health check must answer at once even when a dependency hangs,
 * and must not multiply probes by the number of checkers.
 */
#ifndef PFO3_PROBE_H
#define PFO3_PROBE_H

#include <stdint.h>

#include <jansson.h>

struct pfo3_conf;
struct probe;

enum probe_dep { PROBE_POSTGRES, PROBE_AMQP, PROBE_S3, PROBE_COUNT };

struct probe_result {
	int		 checked;	/* a probe has completed */
	int		 ok;
	double		 latency_ms;
	char		 error[256];	/* last error, "" when ok */
	uint64_t	 failures;	/* probes that failed, since start */
	int64_t		 since_ms;	/* monotonic time of the last change */
};

/* Starts the probing thread; NULL with *cause when it cannot. */
struct probe *probe_start(const struct pfo3_conf *conf, char **cause);
void	probe_stop(struct probe *p);
/* Copies the last result of every dependency into out[PROBE_COUNT]. */
void	probe_read(struct probe *p, struct probe_result *out);
/* 1 when every dependency answered its last probe. */
int	probe_all_ok(struct probe *p);
/* {"postgres":{"ok":…,"latency_ms":…,"error":…}, "amqp":…, "s3":…} */
json_t	*probe_json(struct probe *p);
const char *probe_name(enum probe_dep dep);

#endif
