/*
 * supervise.c — the local worker processes: spawning (or adopting those a
 * previous pfo3-ctld left running, adopt.c), readiness, reaping on SIGCHLD,
 * restarting with backoff, stopping.
 *
 * A worker is ready when its control socket answers `stats` with every
 * dependency reachable and no drain: the condition under which its
 * /readyz answers 200.  Reading it from `stats` costs no HTTP request and
 * gives its thread counts on the way.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "adopt.h"
#include "clock.h"
#include "ctld.h"
#include "depslink.h"
#include "journal.h"
#include "lifecycle.h"
#include "log.h"
#include "wlink.h"
#include "xmalloc.h"

/* How often a starting worker is asked whether it is ready (ms). */
#define SUPERVISE_CHECK_MS	100
/* A worker that dies sooner than this after its start doubles its
 * restart delay; one that lived longer starts over from restart_min. */
#define SUPERVISE_STABLE_MS	10000

static void	supervise_check_cb(evutil_socket_t, short, void *);
static void	supervise_restart_cb(evutil_socket_t, short, void *);
static void	supervise_schedule(struct worker *, int64_t);

/*
 * In the child: output to the worker's log (opened by the parent: the
 * child of a threaded process should not allocate), default signals,
 * exec.
 */
static void __attribute__((noreturn))
supervise_exec(const char *path, int logfd, char *const argv[])
{
	int fd;

	/*
	 * A session of its own: no terminal's signals, and, where the kernel
	 * groups CPU time by session (sched_autogroup), a group of its own.
	 * Three workers sharing one group paid more per request to be woken
	 * by HAProxy: /healthz through the shipped HAProxy, three alternated
	 * pairs, 0.71-0.80 context switches and 14.2-17.3 us of CPU per
	 * request in a worker, against 0.61-0.66 and 12.6-14.6 here.
	 */
	setsid();
	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		dup2(fd, 0);
		close(fd);
	}
	if (logfd != -1) {
		dup2(logfd, 1);
		dup2(logfd, 2);
	}
	spawn_exec(path, argv);
}

/* The worker's log file, opened for the child; -1 for none (or when it
 * cannot be opened: the worker then writes to ours). */
static int
supervise_log(struct worker *w)
{
	char	*path;
	int	 fd = -1;

	path = conf_expand_id(w->ctld->conf.workers.log, w->id);
	if (*path != '\0') {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd == -1)
			log_warn("%s: log %s", w->id, path);
		else
			dprintf(fd, "=== pfo3-ctld starts %s\n", w->id);
	}
	free(path);
	return fd;
}

/*
 * A worker's timers, before it has a process (spawned or adopted):
 * without them it would never be found ready (nor failed), nor started
 * again once it ends, and nothing could be undone then.
 */
static int
supervise_timers(struct worker *w, char **cause)
{
	struct ctld *c = w->ctld;

	if (w->check_ev == NULL)
		w->check_ev = evtimer_new(c->base, supervise_check_cb, w);
	if (w->restart_ev == NULL)
		w->restart_ev = evtimer_new(c->base, supervise_restart_cb, w);
	if (w->check_ev == NULL || w->restart_ev == NULL) {
		*cause = xstrdup("evtimer_new failed");
		return -1;
	}
	return 0;
}

int
supervise_spawn(struct worker *w, char **cause)
{
	struct ctld	*c = w->ctld;
	char		*argv[16], *agent = NULL;
	struct timeval	 tv = { 0, SUPERVISE_CHECK_MS * 1000 };
	int		 i = 0, logfd;
	pid_t		 pid;

	argv[i++] = c->workerd;
	argv[i++] = "-f";
	if (c->conf_path != NULL) {
		argv[i++] = "-c";
		argv[i++] = (char *)c->conf_path;
	}
	argv[i++] = "--id";
	argv[i++] = w->id;
	argv[i++] = "--listen";
	argv[i++] = w->addr;
	argv[i++] = "--control";
	argv[i++] = w->control;
	if (w->agent_port != 0) {
		agent = xasprintf("%s:%d", c->conf.workers.address,
		    w->agent_port);
		argv[i++] = "--agent-listen";
		argv[i++] = agent;
	}
	argv[i] = NULL;

	if (supervise_timers(w, cause) == -1) {
		free(agent);
		return -1;
	}
	unlink(w->control);
	logfd = supervise_log(w);
	if ((pid = fork()) == -1) {
		*cause = xasprintf("fork: %s", strerror(errno));
		free(agent);
		if (logfd != -1)
			close(logfd);
		return -1;
	}
	if (pid == 0)
		supervise_exec(c->workerd, logfd, argv);
	if (logfd != -1)
		close(logfd);
	free(agent);
	w->pid = pid;
	w->adopted = 0;
	w->started_ms = clock_mono_ms();
	w->st.valid = 0;
	w->polling = 0;
	worker_write_pid(w);
	log_info("%s: started pid %ld on %s", w->id, (long)pid, w->addr);
	lifecycle_apply(w, WE_SPAWNED, NULL, NULL);
	evtimer_add(w->check_ev, &tv);
	return 0;
}

/* The reply to a readiness `stats` of a starting worker. */
static void
supervise_check_reply(const json_t *rep, const char *error, void *arg)
{
	struct worker	*w = arg;
	struct timeval	 tv = { 0, SUPERVISE_CHECK_MS * 1000 };

	w->polling = 0;
	if (w->state != WS_STARTING || w->pid == 0)
		return;
	if (rep != NULL && json_is_true(json_object_get(rep, "ok"))) {
		worker_stats_update(w, rep);
		/* Probed, not necessarily reachable: a worker with a
		 * dependency down still serves what does not need it. */
		if (w->st.deps_checked && !w->st.draining &&
		    w->st.pid == (int)w->pid) {
			lifecycle_apply(w, WE_READY, "ready", NULL);
			return;
		}
	}
	evtimer_add(w->check_ev, &tv);
}

static void
supervise_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker	*w = arg;
	struct ctld	*c = w->ctld;
	struct timeval	 tv = { 0, SUPERVISE_CHECK_MS * 1000 };

	if (w->state != WS_STARTING || w->pid == 0)
		return;
	if (clock_mono_ms() - w->started_ms > c->conf.ctld.ready_timeout) {
		snprintf(w->last_error, sizeof w->last_error,
		    "not ready within %lld ms", (long long)c->conf.ctld.ready_timeout);
		lifecycle_apply(w, WE_NOT_READY, w->last_error, NULL);
		kill(w->pid, SIGKILL);
		return;
	}
	/* The socket appears some time after the process. */
	if (access(w->control, F_OK) != 0 || w->polling) {
		evtimer_add(w->check_ev, &tv);
		return;
	}
	w->polling = 1;
	wlink_call(w->link, "stats", supervise_check_reply, w);
}

/* The regular `stats` of a running worker, once per tick. */
static void
supervise_poll_reply(const json_t *rep, const char *error, void *arg)
{
	struct worker *w = arg;

	w->polling = 0;
	if (w->pid == 0)
		return;
	if (rep == NULL || !json_is_true(json_object_get(rep, "ok"))) {
		snprintf(w->last_error, sizeof w->last_error, "stats: %s",
		    rep == NULL ? error : json_string_value(
		    json_object_get(rep, "error")));
		/* Its socket closing may be an adopted worker's death. */
		if (rep == NULL)
			adopt_check(w);
		return;
	}
	worker_stats_update(w, rep);
}

void
supervise_poll(struct worker *w)
{
	if (!w->local || w->pid == 0 || w->polling || w->state == WS_STARTING)
		return;
	w->polling = 1;
	wlink_call(w->link, "stats", supervise_poll_reply, w);
}

static void
supervise_restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker	*w = arg;
	char		*cause = NULL;

	if (w->pid != 0 || w->ctld->stopping || w->op == OP_REMOVE)
		return;
	w->restarts++;
	if (supervise_spawn(w, &cause) == -1) {
		/* fork failed: try again after the backoff. */
		log_warnx("%s: %s; trying again in %lld ms", w->id, cause,
		    (long long)w->backoff_ms);
		snprintf(w->last_error, sizeof w->last_error, "%s", cause);
		free(cause);
		supervise_schedule(w, w->backoff_ms);
	}
}

/* Schedules a restart after the worker's backoff. */
static void
supervise_schedule(struct worker *w, int64_t delay_ms)
{
	struct timeval tv;

	/* Made by supervise_timers before the worker had a process. */
	clock_timeval(&tv, delay_ms);
	evtimer_add(w->restart_ev, &tv);
}

static void
supervise_describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with status 0x%x", status);
}

/* One worker process has ended: reaped, or an adopted one seen dead. */
static void
supervise_lost(struct worker *w, const char *how)
{
	struct ctld	*c = w->ctld;
	int64_t		 lived = clock_mono_ms() - w->started_ms, delay;

	adopt_unwatch(w);
	w->adopted = 0;
	w->pid = 0;
	w->polling = 0;
	w->st.valid = 0;
	if (*w->pid_file != '\0')
		unlink(w->pid_file);
	/* Whatever was waiting on the old socket is moot. */
	wlink_reset(w->link);
	unlink(w->control);

	if (c->stopping) {
		log_info("%s: %s", w->id, how);
		lifecycle_apply(w, WE_EXITED, how, NULL);
		return;
	}
	if (w->op == OP_REMOVE) {
		if (w->in_lb && lb_enabled(c)) {
			/* It died before leaving HAProxy: the next tick
			 * deletes it there, then forgets it. */
			lifecycle_apply(w, WE_EXITED, how, NULL);
			return;
		}
		journal_add(&c->journal, "%s removed (%s)", w->id, how);
		worker_free(w);
		return;
	}
	if (w->op == OP_RESTART && w->state == WS_STOPPING) {
		w->op = OP_NONE;
		w->restarts++;
		supervise_schedule(w, 0);
		return;
	}
	snprintf(w->last_error, sizeof w->last_error, "%s", how);
	if (lived < SUPERVISE_STABLE_MS)
		w->backoff_ms = w->backoff_ms * 2 > c->conf.workers.restart_max ?
		    c->conf.workers.restart_max : w->backoff_ms * 2;
	else
		w->backoff_ms = c->conf.workers.restart_min;
	delay = lived < SUPERVISE_STABLE_MS ? w->backoff_ms :
	    c->conf.workers.restart_min;
	log_warnx("%s: %s; restarting in %lld ms", w->id, how,
	    (long long)delay);
	/* Starting or failed: failed; else down. */
	lifecycle_apply(w, WE_EXITED, how, NULL);
	w->op = OP_NONE;
	supervise_schedule(w, delay);
}

void
supervise_reap(struct ctld *c)
{
	struct worker	*w;
	pid_t		 pid;
	int		 status;
	char		 how[128];

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(w, &c->workers, entry)
			if (w->local && w->pid == pid && !w->adopted)
				break;
		supervise_describe(status, how, sizeof how);
		if (w == NULL && depslink_reaped(c->deps, pid, how))
			continue;
		if (w == NULL) {
			log_debug("reaped pid %ld, not a worker", (long)pid);
			continue;
		}
		supervise_lost(w, how);
	}
}

/* SIGTERM: the worker drains, finishes its work, then exits. */
int
supervise_stop_worker(struct worker *w, enum wevent ev, const char *why,
    char **cause)
{
	struct ctld *c = w->ctld;

	if (w->pid == 0)
		return 0;
	if (lifecycle_apply(w, ev, why, cause) == -1)
		return -1;
	kill(w->pid, SIGTERM);
	w->op_deadline_ms = clock_mono_ms() + c->conf.worker.shutdown_timeout +
	    CTLD_KILL_GRACE_MS;
	return 0;
}

/* Ctld is stopping: every local worker gets SIGTERM. */
void
supervise_stop_all(struct ctld *c)
{
	struct worker *w;

	TAILQ_FOREACH(w, &c->workers, entry) {
		if (w->restart_ev != NULL)
			evtimer_del(w->restart_ev);
		if (w->local && w->pid != 0 && w->state != WS_STOPPING)
			supervise_stop_worker(w, WE_STOP, NULL, NULL);
	}
}

/*
 * Starts workers.count local workers, or adopts those that run already (a
 * previous pfo3-ctld died), and adopts those beyond the count that it had
 * added (worker.add): any wN whose control socket exists is tried.  Not
 * with workers.count 0: a pfo3-ctld told to run no local worker takes
 * none (a second one for remote workers, or a test's, may share the
 * configuration and so the sockets of the first one's workers).
 * HAProxy is reconciled in between: after the workers exist, so that their
 * servers count as ours, and before any is adopted, so that an adopted
 * worker's server is known to be there.
 */
int
supervise_start(struct ctld *c, char **cause)
{
	struct worker	*w, *tw;
	char		 id[16], *path;
	int64_t		 n;
	int		 found, rc = 0;

	for (n = 1; n <= c->conf.workers.count; n++)
		if (worker_new_local(c, cause) == NULL)
			return -1;
	for (; c->conf.workers.count > 0 && n <= c->conf.ctld.max_workers;
	    n++) {
		snprintf(id, sizeof id, "w%d", (int)n);
		path = conf_expand_id(c->conf.worker.control, id);
		found = strcmp(path, c->conf.worker.control) != 0 &&
		    access(path, F_OK) == 0;
		free(path);
		if (found && (w = worker_new_local_n(c, (int)n, cause)) ==
		    NULL) {
			log_warnx("%s: %s", id, *cause);
			free(*cause);
			*cause = NULL;
		}
	}
	lb_reconcile(c);
	for (w = TAILQ_FIRST(&c->workers); w != NULL; w = tw) {
		tw = TAILQ_NEXT(w, entry);
		if (supervise_timers(w, cause) == -1 ||
		    (rc = adopt_worker(w, supervise_lost, cause)) == -1)
			return -1;
		if (rc == 1)
			continue;
		if (w->n > c->conf.workers.count)
			worker_free(w);		/* an extra one, gone */
		else if (supervise_spawn(w, cause) == -1)
			return -1;
	}
	return 0;
}
