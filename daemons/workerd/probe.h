/*
 * probe.h — the worker's view of its dependencies (PostgreSQL, RabbitMQ,
 * S3, the SMTP relay), each refreshed by a thread of its own every
 * worker.probe_interval.
 *
 * /readyz, /metrics, `stats` and the routes that need a dependency read
 * the last results without doing any I/O: a health check must answer at
 * once even when a dependency hangs, and must not multiply probes by the
 * number of checkers.  A probe still running after worker.probe_timeout
 * reads as failed ("no answer within …"): a hung dependency is down, not
 * "fine since the last answer".
 */
#ifndef PFO3_PROBE_H
#define PFO3_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct pfo3_conf;
struct probe;

enum probe_dep { PROBE_POSTGRES, PROBE_AMQP, PROBE_S3, PROBE_SMTP,
	PROBE_COUNT };
#define PROBE_BIT(dep)	(1u << (dep))

struct probe_result {
	int		 checked;	/* a probe has completed (or overran) */
	int		 ok;
	double		 latency_ms;
	char		 error[256];	/* last error, "" when ok */
	uint64_t	 failures;	/* probes that failed, since start */
	int64_t		 since_ms;	/* monotonic time of the last change */
};

/* Starts the probing threads; NULL with *cause when it cannot. */
struct probe *probe_start(const struct pfo3_conf *conf, char **cause);
void	probe_stop(struct probe *p);
/* Copies the last result of every dependency into out[PROBE_COUNT],
 * a probe overdue by worker.probe_timeout counting as failed. */
void	probe_read(struct probe *p, struct probe_result *out);
/*
 * The first dependency of `mask` (PROBE_BIT()s) whose last probe failed,
 * with its error in why[len]; -1 when none did.  A dependency not probed
 * yet counts as up: only a failed probe degrades a route.
 */
int	probe_down(struct probe *p, unsigned mask, char *why, size_t len);
/* {"postgres":{"ok":…,"latency_ms":…,"error":…}, "amqp":…, "s3":…,
 * "smtp":…} */
json_t	*probe_json(struct probe *p);
/* ["s3", …]: the dependencies whose last probe failed, [] when none. */
json_t	*probe_degraded(struct probe *p);
const char *probe_name(enum probe_dep dep);

#endif
