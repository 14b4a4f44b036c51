/*
 * jobs-int.h — what jobs.c, jobs-consume.c, jobs-sweep.c and the job type
 * handlers (jobs-task.c, …) share.
 *
 * The job types are declared once, in common/job-types.c (their names,
 * hence routing keys and queues pfo3.jobs.<name>); jobs_types[] (jobs.c)
 * adds what the worker does with each, indexed by the same enum: its
 * handler and its retry policy.  A worker consumes only the queues of the
 * types it has a handler for.
 */
#ifndef PFO3_JOBS_INT_H
#define PFO3_JOBS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/queue.h>

#include <jansson.h>

#include "broker.h"
#include "clock.h"
#include "job-types.h"
#include "log.h"

struct workerd;

/* What a handler says of one attempt. */
enum jobs_result {
	JOBS_DONE,		/* *result is the job's result */
	JOBS_FAIL,		/* may work later: retried with backoff */
	JOBS_FATAL,		/* never will (a bad payload): failed at once */
	JOBS_UNAVAILABLE,	/* a dependency is down: the message goes back
				   to the queue, the attempt does not count */
};

/* The job a handler runs; everything is borrowed for the call. */
struct jobs_ctx {
	int64_t		 id;
	int64_t		 user_id;	/* 0: none */
	int		 attempt;	/* 1 on the first run */
	const json_t	*payload;
	struct jobs_stages *stages;	/* the handler's own jobs_stage()s */
};

/*
 * Runs on a pool thread, on behalf of a delivery the row says is not
 * finished.  Must be idempotent: a job may run again after a crash.
 * JOBS_DONE with *result (a new reference), else *cause.
 */
typedef enum jobs_result (*jobs_fn)(struct workerd *w,
	    const struct jobs_ctx *ctx, json_t **result, char **cause);
/* Rewrites a stored result (stolen) for the API; NULL: shown as stored. */
typedef json_t *(*jobs_show_fn)(json_t *result);

/* A type's retries: amqp.max_retries, the configured default. */
#define JOBS_RETRIES_CONF	(-1)

struct jobs_type {
	jobs_fn		 run;		/* NULL: not consumed by this worker */
	jobs_show_fn	 show;
	/* Failed attempts retried with backoff before the job fails for
	 * good (JOBS_RETRIES_CONF: amqp.max_retries, also the most). */
	int		 retries;
};

/* Indexed by enum job_type_id (job-types.h). */
extern const struct jobs_type jobs_types[JOB_NTYPES];
#define JOBS_NTYPES	JOB_NTYPES

/* Counters of one type, written on pool threads and the consumer. */
struct jobs_counters {
	atomic_ullong	 processed;	/* finished: done */
	atomic_ullong	 failed;	/* attempts that failed */
	atomic_ullong	 retried;	/* sent back with a delay */
	atomic_ullong	 dead;		/* failed for good, dead-lettered */
	atomic_ullong	 skipped;	/* deliveries of finished or running jobs */
	atomic_ullong	 requeued;	/* back to the queue for later */
};

/* What the consumer does with a delivery once its job ran. */
enum jobs_answer {
	JOBS_ANSWER_NONE,	/* nothing: the broker gets it back on close */
	JOBS_ANSWER_ACK,
	JOBS_ANSWER_RETRY,	/* broker_retry: later, or dead past the limit */
	JOBS_ANSWER_DEAD,	/* broker_retry past the limit: dead now */
	JOBS_ANSWER_REQUEUE,	/* reject with requeue after a delay */
};

/*
 * The stages of one job and how long each took, for one line at debug
 * level: where a job's time goes (jobs_stage() after each stage).
 */
struct jobs_stages {
	int64_t		 last_us;
	size_t		 len;
	char		 text[320];
};

static inline void
jobs_stages_begin(struct jobs_stages *s, int64_t start_us)
{
	s->last_us = start_us != 0 ? start_us : clock_mono_us();
	s->len = 0;
	s->text[0] = '\0';
}

/* Appends " name=MS" for the time since the last stage (s may be NULL). */
static inline void
jobs_stage(struct jobs_stages *s, const char *name)
{
	int64_t	now;
	int	n;

	if (s == NULL || log_get_level() < LOG_LVL_DEBUG ||
	    s->len >= sizeof s->text)
		return;
	now = clock_mono_us();
	n = snprintf(s->text + s->len, sizeof s->text - s->len, " %s=%.1f",
	    name, (double)(now - s->last_us) / 1000.0);
	if (n > 0)
		s->len += (size_t)n;
	s->last_us = now;
}

/* One delivery, from the consumer to a pool thread and back. */
struct jobs_job {
	struct jobs			*j;
	struct broker_delivery		 d;
	uint64_t			 gen;	/* consumer connection it came on */
	int				 type;	/* index in jobs_types, or -1 */
	enum jobs_answer		 answer;
	int				 attempt;	/* for broker_retry */
	char				*reason;	/* why it failed */
	int64_t				 due_ms;	/* REQUEUE: not before */
	int64_t				 received_us;	/* from the broker */
	struct jobs_stages		 stages;	/* of this run */
	TAILQ_ENTRY(jobs_job)		 entry;
};
TAILQ_HEAD(jobs_list, jobs_job);

struct jobs {
	struct workerd		*w;
	atomic_int		 stop;
	int64_t			 stop_deadline_ms;	/* set before stop */

	pthread_mutex_t		 lock;		/* guards done, nrunning */
	pthread_cond_t		 wake;		/* done grew; stop; sweep */
	struct jobs_list	 done;		/* back from the pool */
	int			 nrunning;	/* handed to the pool */

	pthread_t		 consumer;
	int			 has_consumer;
	pthread_t		 sweeper;
	int			 has_sweeper;

	atomic_int		 held;		/* jobs_hold: no new job */
	atomic_int		 trim;		/* a job freed big buffers */
	atomic_int		 consuming;	/* consumer connected */
	atomic_int		 running;	/* jobs on the pool now */
	struct jobs_counters	 count[JOBS_NTYPES];
	atomic_ullong		 published;	/* publishes tried */
	atomic_ullong		 confirmed;	/* and confirmed */
	atomic_ullong		 swept;		/* confirmed by the sweeper */
};

/* jobs.c */
/* The index of type `name` in jobs_types, or -1. */
#define jobs_type_find(name)	job_type_find(name)
/* How many failed attempts of type `type` are retried. */
int	 jobs_type_retries(const struct workerd *w, int type);
/* The message of job `id`, {"job_id":N}, in `buf`; returns its length. */
size_t	 jobs_message(char *buf, size_t len, int64_t id);
/* A JSON text as PostgreSQL prints jsonb (see jobs.c); NULL if invalid. */
json_t	*jobs_json_parse(const char *text);

/* jobs-consume.c: the consumer thread. */
void	*jobs_consume_main(void *arg);
/* jobs-run.c: runs one delivery on a pool thread (a pool_fn). */
void	 jobs_run(void *arg);
/* Whether the thread's last failed statement failed as an outage (no
 * connection, SQLSTATE classes 08, 40, 53, 57, 58) rather than a fault. */
int	 jobs_db_outage(void);
/* jobs-sweep.c */
void	*jobs_sweep_main(void *arg);

/* Handlers (one file each). */
enum jobs_result jobs_task(struct workerd *, const struct jobs_ctx *,
	    json_t **, char **);
json_t	*jobs_task_show(json_t *);
enum jobs_result jobs_report(struct workerd *, const struct jobs_ctx *,
	    json_t **, char **);
enum jobs_result jobs_thumb(struct workerd *, const struct jobs_ctx *,
	    json_t **, char **);

#endif
