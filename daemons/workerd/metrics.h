/*
 * metrics.h — the worker's counters, for /metrics (Prometheus text format)
 * and the control socket's `stats`.
 *
 * Only the event thread writes and reads them (every response is finished
 * there), so they are plain integers.  Pool load comes from the pool's own
 * atomic counters.
 */
#ifndef PFO3_METRICS_H
#define PFO3_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "latency.h"

/* Route indexes: one counter row per route of router.c, plus "other". */
#define METRICS_MAX_ROUTES	16
#define METRICS_MAX_STATUS	24	/* distinct status codes per route */

/* Upper bounds (seconds) of the Prometheus duration histogram. */
#define METRICS_HIST_BUCKETS	14

struct metrics_status {
	int		 code;
	uint64_t	 count;
};

struct metrics_route {
	const char		*name;		/* "/api/v1/tasks" or "other" */
	struct metrics_status	 status[METRICS_MAX_STATUS];
	int			 nstatus;
};

struct metrics {
	struct metrics_route	 route[METRICS_MAX_ROUTES];
	int			 nroutes;
	uint64_t		 requests_total;
	uint64_t		 errors_total;		/* 5xx answers but the
							   event thread's */
	uint64_t		 rejected_full;		/* 503: pool queue full */
	uint64_t		 connections_total;	/* accepted */
	uint64_t		 seed_total;		/* seed-protocol tasks */
	atomic_ullong		 tasks_ok;		/* counted on pool threads */
	atomic_ullong		 tasks_failed;
	uint64_t		 hist[METRICS_HIST_BUCKETS + 1];	/* +Inf last */
	double			 hist_sum_s;
	struct latency		 latency;
};

extern const double metrics_hist_bounds[METRICS_HIST_BUCKETS];

void	metrics_init(struct metrics *m);
/* Registers a route name; returns its index (the last one is "other"). */
int	metrics_route(struct metrics *m, const char *name);
/* Counts one finished request on `route` with `status`, taking `us`;
 * `error` counts it in errors_total. */
void	metrics_request(struct metrics *m, int route, int status, int error,
	    int64_t us, int64_t now_s);

#endif
