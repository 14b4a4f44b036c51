/*
 * console-model.h — what the console shows, built from one status object
 * of pfo3-ctld (the reply to `status`, or one line of `watch`).
 *
 * The model is plain C data so that layout and rendering never touch
 * JSON, and a status from an older or newer ctld (fields missing, of
 * another type, or added) still gives a model: unknown numbers become
 * MODEL_NONE and are drawn as "-".
 */
#ifndef PFO3_CONSOLE_MODEL_H
#define PFO3_CONSOLE_MODEL_H

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
	char	*state;			/* "up", "draining", ... */
	char	*lb_status;		/* HAProxy's status, "" when unknown */
	char	*last_error;		/* NULL when none */
	char	*degraded;		/* "s3,amqp": dependencies down; NULL */
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

/* The worker with this id, or NULL. */
const struct model_worker *model_worker_find(const struct model *m,
	    const char *id);
/* Workers whose state is one of those that take traffic ("up"). */
int	model_workers_serving(const struct model *m, double *threads);

#endif
