/*
 * probe.h — a daemon's view of its dependencies (PostgreSQL, S3,
 * RabbitMQ, the SMTP relay), each refreshed by a thread of its own every
 * interval.  pfo3-workerd probes all four every worker.probe_interval for
 * /readyz, /metrics, `stats` and the routes that need a dependency;
 * pfo3-ctld probes the three it uses every ctld.interval for `deps`.
 *
 * Readers get the last results without doing any I/O: a health check must
 * answer at once even when a dependency hangs, and must not multiply probes
 * by the number of checkers.  A probe still running after
 * worker.probe_timeout reads as failed ("no answer within …"): a hung
 * dependency is down, not "fine since the last answer".
 *
 * Dependencies are always listed in the order of enum probe_dep, the
 * order pfo3ctl and the console show them in.
 */
#ifndef PFO3_PROBE_H
#define PFO3_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"

struct probe;

enum probe_dep { PROBE_POSTGRES, PROBE_S3, PROBE_AMQP, PROBE_SMTP,
	PROBE_COUNT };
#define PROBE_BIT(dep)	(1u << (dep))
#define PROBE_ALL	(PROBE_BIT(PROBE_COUNT) - 1)

struct probe_result {
	int		 checked;	/* a probe has completed (or overran) */
	int		 ok;
	double		 latency_ms;
	char		 error[256];	/* last error, "" when ok */
	uint64_t	 failures;	/* probes that failed, since start */
	int64_t		 since_ms;	/* monotonic time of the last change */
};

/* The settings a probe runs with: the configuration's, with every
 * deadline at worker.probe_timeout and no retries. */
struct probe_conf {
	struct conf_postgres	 postgres;
	struct conf_amqp	 amqp;
	struct conf_s3		 s3;
	struct conf_smtp	 smtp;
	int64_t			 timeout;	/* ms */
};

/*
 * Runs on the thread of `dep` after each probe of it that succeeded, and
 * counts as part of the probe (its time included in the overrun); for
 * what a daemon learns from a dependency besides "it answers".  -1 with
 * *cause marks the dependency failed with that cause.
 */
typedef int (*probe_extra_fn)(enum probe_dep dep, const struct probe_conf *pc,
	    void *arg, char **cause);

struct probe_opts {
	unsigned	 deps;		/* PROBE_BIT()s of those probed */
	int64_t		 interval;	/* ms between two probes of one */
	probe_extra_fn	 extra;		/* NULL: none */
	void		*arg;
};

/* Probes every dependency every worker.probe_interval (the worker's
 * view); NULL with *cause when a thread cannot start. */
struct probe *probe_start(const struct pfo3_conf *conf, char **cause);
/* Probes those of o->deps every o->interval. */
struct probe *probe_start_opts(const struct pfo3_conf *conf,
	    const struct probe_opts *o, char **cause);
/* Stops and joins the threads (an extra function may run until then). */
void	probe_stop(struct probe *p);
/* Copies the last result of every dependency into out[PROBE_COUNT],
 * a probe overdue by worker.probe_timeout counting as failed; one not
 * probed at all stays unchecked. */
void	probe_read(struct probe *p, struct probe_result *out);
/*
 * The first dependency of `mask` (PROBE_BIT()s) whose last probe failed,
 * with its error in why[len]; -1 when none did.  A dependency not probed
 * yet counts as up: only a failed probe degrades a route.
 */
int	probe_down(struct probe *p, unsigned mask, char *why, size_t len);
/* {"postgres":{"checked":…,"ok":…,"latency_ms":…,"failures":…,
 * "error":"…" or null}, "s3":…, "amqp":…, "smtp":…}: those probed. */
json_t	*probe_json(struct probe *p);
/* ["s3", …]: the dependencies whose last probe failed, [] when none. */
json_t	*probe_degraded(struct probe *p);
const char *probe_name(enum probe_dep dep);

#endif
