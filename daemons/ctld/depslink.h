/*
 * depslink.h — pfo3-ctld's link to its child pfo3-ctld-deps, which holds
 * the clients of PostgreSQL, S3 and RabbitMQ (daemons/ctld-deps/depsd.h
 * tells why, and the protocol of the JSON lines on their socket).
 */
#ifndef PFO3_DEPSLINK_H
#define PFO3_DEPSLINK_H

#include <sys/types.h>

#include <stdint.h>

#include <jansson.h>

struct ctld;
struct depslink;

/* A heartbeat (`stats` borrowed for the call), as beats.h hands them. */
typedef void (*depslink_beat_fn)(const char *id, const json_t *stats,
	    int64_t recv_ms, void *arg);
/* A storage run's answer: `reply` (given to the callee) or `error`. */
typedef void (*depslink_reply_fn)(json_t *reply, const char *error,
	    void *arg);

/* Starts pfo3-ctld-deps (the program beside pfo3-ctld); NULL + *cause
 * when it cannot be found. */
struct depslink *depslink_start(struct ctld *c, char **cause);
/* Closes the link: pfo3-ctld-deps ends by itself. */
void	depslink_stop(struct depslink *l);
/* From the SIGCHLD handler: 1 when `pid` was pfo3-ctld-deps, which
 * ended as `how` says ("exited with status 1", …). */
int	depslink_reaped(struct depslink *l, pid_t pid, const char *how);
/* The last report's dependencies; each unchecked while pfo3-ctld-deps
 * does not run. */
json_t	*depslink_deps(struct depslink *l);
json_t	*depslink_queues(struct depslink *l, int64_t *jobs_queued);
/* Hands the heartbeats of the reports since the last call to fn. */
void	depslink_beats(struct depslink *l, depslink_beat_fn fn, void *arg);
/* Sends a storage run (`req` stolen); fn gets its answer, or an error
 * when pfo3-ctld-deps ends meanwhile.  -1 with *cause when it does not
 * run. */
int	depslink_storage(struct depslink *l, json_t *req,
	    depslink_reply_fn fn, void *arg, char **cause);

/* log.level: pfo3-ctld-deps logs at `level` too, from now on and after
 * a restart. */
void	depslink_log_level(struct depslink *l, int level);

#endif
