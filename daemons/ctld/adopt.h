/*
 * adopt.h — a new pfo3-ctld takes over the local workers that a previous
 * one (killed, crashed, restarted by its supervisor) left running, instead
 * of starting them again on ports they still hold.
 *
 * A worker is adopted when its control socket answers `stats` with the
 * expected id and listen address, and a pid that is alive.  The socket is
 * the authority (the process names itself); the pid file, when
 * workers.pid_file is set, is rewritten if it disagrees, and serves to
 * find a worker that no longer answers: that one is killed and started
 * again rather than left holding its ports.
 *
 * An adopted worker is not our child: no SIGCHLD tells of its death, so a
 * pidfd (pidfd_open(2)) does, and where there is none, kill(pid, 0) on
 * every refresh and whenever its control socket fails.
 *
 * adopt-check.c holds the pure decisions (tested by tests/unit/
 * test-ctld-adopt); adopt.c the probing; adopt-watch.c the watching.
 */
#ifndef PFO3_CTLD_ADOPT_H
#define PFO3_CTLD_ADOPT_H

#include <sys/types.h>

#include <stddef.h>

#include <jansson.h>

struct worker;

/* What the `stats` of a worker to adopt says it is doing. */
enum adopt_mode {
	ADOPT_SERVING,		/* in rotation */
	ADOPT_DRAINING,		/* drained by an operator: keep it so */
	ADOPT_STOPPING,		/* on its way out: let it go, then restart */
};

/* adopt-check.c */
/* A pid file's text: decimal digits, optionally surrounded by blanks and
 * newlines; 0 with *pid > 0, or -1. */
int	adopt_parse_pid(const char *text, size_t len, pid_t *pid);
/* Is `reply` (to `stats`) the worker `id` listening on `addr`?  0 with
 * the pid it gives and what it is doing, or -1 with *cause. */
int	adopt_check_stats(const json_t *reply, const char *id,
	    const char *addr, pid_t *pid, enum adopt_mode *mode,
	    char **cause);
/* Is `cmdline` (/proc/PID/cmdline: NUL-separated) a worker with this
 * control socket path?  1 or 0. */
int	adopt_cmdline_is_worker(const char *cmdline, size_t len,
	    const char *control);

/* What the watch calls when an adopted worker's process has ended. */
typedef void (*adopt_lost_fn)(struct worker *w, const char *how);

/* adopt.c */
/* Tries to adopt the worker already running as `w`: 1 when it is ours
 * now (pid set, state up, draining or stopping; its end goes to `lost`),
 * 0 when a new one must be started, -1 with *cause when it cannot be
 * watched. */
int	adopt_worker(struct worker *w, adopt_lost_fn lost, char **cause);

/* adopt-watch.c */
/* Watches an adopted worker's pid (a pidfd, else a timer every
 * ctld.interval); its death goes to `lost`, from an event of its own
 * (so like a reaped child's).  -1 with *cause when it cannot. */
int	adopt_watch(struct worker *w, adopt_lost_fn lost, char **cause);
void	adopt_unwatch(struct worker *w);
/* 1 while `pid` lives (a zombie does not). */
int	adopt_alive(pid_t pid);
/* Reads at most `size` bytes of `path`; -1 when it cannot. */
ssize_t	adopt_read_file(const char *path, char *buf, size_t size);
/* Its control socket failed: look at an adopted worker's pid soon (from
 * the watch's event, so the caller's worker stays valid). */
void	adopt_check(struct worker *w);

#endif
