/*
 * status-model.h — a status object of pfo3-ctld (the reply to `status`,
 * or one line of `watch`) as C data: the one decoder of it, shared by
 * pfo3ctl and pfo3-console, so both show the same thing for the same
 * status and neither renderer touches JSON.
 *
 * A status from an older or newer ctld (fields missing, of another type,
 * or added) still gives a model: unknown numbers become MODEL_NONE and
 * the formatters of ctl-fmt.h show them as "-"; a missing string is "-"
 * too, but for a worker's id ("#2", its place, so it can be selected).
 * Text is kept as the daemon sent it: each client makes it safe for its
 * output (control characters shown as '?').
 */
#ifndef PFO3_STATUS_MODEL_H
#define PFO3_STATUS_MODEL_H

#include <stddef.h>

#include <jansson.h>

/* A number the status did not carry. */
#define MODEL_NONE	(-1.0)
/* History samples kept per series (five minutes at one per second). */
#define MODEL_HISTORY	300
/* Events kept (ctld sends at most 50). */
#define MODEL_EVENTS	50

struct model_series {
	double	 v[MODEL_HISTORY];	/* oldest first */
	int	 n;
};

struct model_worker {
	char	*id;
	char	*addr;
	char	*state;			/* "up", "draining", ..., "-" */
	char	*lb_status;		/* HAProxy's status, "" when unknown */
	char	*last_error;		/* NULL when none */
	char	**degraded;		/* dependencies it reports down */
	size_t	 ndegraded;
	long	 pid;			/* -1 for a remote worker */
	int	 local;
	double	 busy, threads;		/* pool threads */
	double	 queue, queue_cap;	/* pool queue */
	double	 inflight, jobs_running;
	double	 req_s, errors_s, p50, p99;
	double	 restarts, uptime_s;
	double	 lb_sessions;
	struct model_series busy_hist;
};

struct model_queue {
	char	*name;
	double	 messages, unacked, consumers, in_s, out_s;
	int	 dead_letter;
};

struct model_dep {
	char	*name;			/* "postgres", "s3", ... */
	int	 ok;			/* 1 up, 0 down, -1 unknown */
	double	 latency_ms;
	double	 conn_used, conn_max;	/* PostgreSQL only */
	char	*error;			/* NULL when none */
};

struct model_event {
	double	 time;			/* unix seconds */
	char	*text;
};

struct model {
	int			 valid;		/* a status was applied */
	double			 time;
	double			 interval_ms;
	long			 ctld_pid;
	double			 ctld_uptime_s;
	char			*ctld_version;

	struct model_worker	*workers;
	size_t			 nworkers;
	struct model_queue	*queues;
	size_t			 nqueues;
	struct model_dep	*deps;
	size_t			 ndeps;
	struct model_event	*events;
	size_t			 nevents;

	int			 has_totals;	/* "totals" was sent */
	double			 workers_total, workers_up;
	double			 threads_total, threads_busy;
	double			 req_s, errors_s, jobs_queued;
	struct model_series	 busy_hist, req_hist;
};

void	model_init(struct model *m);
/*
 * Replaces the contents of `m` by what `status` says.  Returns -1 with
 * *cause (and leaves `m` as it was) when `status` is not a status object:
 * not an object, "ok" not true, or "workers" not an array.
 */
int	model_apply(struct model *m, const json_t *status, char **cause);
void	model_clear(struct model *m);

/* The dependencies worker `w` reports down joined by `sep` ("s3,amqp"),
 * or NULL when none.  Caller frees. */
char	*model_degraded(const struct model_worker *w, const char *sep);
/* What to say of dependency `d` beside its state: its error, else the
 * connections used of the maximum ("connections 5/100"), else "". */
char	*model_dep_detail(const struct model_dep *d, char *buf, size_t size);

/* The worker with this id, or NULL. */
const struct model_worker *model_worker_find(const struct model *m,
	    const char *id);
/* Workers whose state is one of those that take traffic ("up"). */
int	model_workers_serving(const struct model *m, double *threads);

#endif
