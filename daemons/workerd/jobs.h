/*
 * jobs.h — background jobs: thumbnails, reports, asynchronous seed tasks.
 *
 * A job is a row in `jobs` (the source of truth) plus a persistent message
 * on pfo3.jobs.  Accepting one commits the row, then publishes the
 * message with a confirm; a sweeper publishes rows left queued (the
 * broker was down), so an accepted job is never lost.  Consumers receive
 * deliveries and run them on the worker's pool, at most worker.job_threads
 * at a time, and ack only after the row says done or failed; a redelivered
 * message for a finished job is acked and skipped.
 */
#ifndef PFO3_JOBS_H
#define PFO3_JOBS_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct workerd;

/* Starts the consumers and the sweeper; 0, or -1 with *cause. */
int	jobs_start(struct workerd *w, char **cause);
/* Stops them; running jobs finish, unstarted deliveries go back to the
 * broker. */
void	jobs_stop(struct workerd *w);

/*
 * Holds (on 1) or releases (on 0) this worker's job consumer: held, it
 * starts no new job, lets the jobs in hand finish, and then leaves the
 * broker, so the queued jobs wait in their queues for another worker or
 * the release.  HTTP is served as ever.  An operator's switch (control
 * socket `jobs.hold`, `jobs.release`): to take a worker's jobs off while
 * its dependencies are worked on, or to let jobs pile up and then time
 * how fast the workers clear them.  -1 when this worker runs no jobs.
 */
int	jobs_hold(struct workerd *w, int on);

/*
 * Accepts a job of `type` ("report", "thumbnail", "task") for `user_id`
 * (0: none) with `payload` (borrowed): commits the row, publishes it with
 * a confirm (a broker outage leaves it to the sweeper).  Runs on a pool
 * thread.  Returns the job id, or -1 with *cause when the row could not
 * be written (the caller answers 503).
 *
 * `dedup_key` (NULL: none) is stored in the unique jobs.dedup_key: when a
 * job with that key exists already, its id is returned and nothing is
 * made or published (a request run again after a crash; see
 * idempotency.h).
 */
int64_t	jobs_submit(struct workerd *w, const char *type, int64_t user_id,
	    const json_t *payload, const char *dedup_key, char **cause);

/*
 * Publishes the message of job `id` of `type`, a row already committed by
 * a statement that wrote it together with other rows (a file and its
 * thumbnail job); as in jobs_submit, a broker outage leaves it to the
 * sweeper.  Pool thread.
 */
void	jobs_publish(struct workerd *w, int64_t id, const char *type);

/* The job row as the API shows it, or NULL (*cause) when there is none
 * (*found = 0) or the database failed (*found = 1). */
json_t	*jobs_get(struct workerd *w, int64_t id, int64_t *user_id, int *found,
	    char **cause);

/* The counters for `stats` (a new object), and for /metrics in the
 * Prometheus text format, each sample with `labels`.  Event thread. */
json_t	*jobs_stats(struct workerd *w);
void	jobs_metrics(FILE *f, struct workerd *w, const char *labels);

#endif
