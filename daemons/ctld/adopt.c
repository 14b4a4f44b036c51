/*
 * adopt.c — taking over the workers a previous pfo3-ctld left running.
 * See adopt.h.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "adopt.h"
#include "clock.h"
#include "ctl.h"
#include "ctld.h"
#include "journal.h"
#include "lifecycle.h"
#include "log.h"
#include "xmalloc.h"

/* Enough for a pid file, and for the command line of a worker. */
#define ADOPT_READ_MAX	8192

/* The pid in the worker's pid file; 0 without one or when it is bad. */
static pid_t
adopt_file_pid(const struct worker *w)
{
	char	 buf[64];
	ssize_t	 n;
	pid_t	 pid;

	if (*w->pid_file == '\0' ||
	    (n = adopt_read_file(w->pid_file, buf, sizeof buf)) <= 0)
		return 0;
	if (adopt_parse_pid(buf, (size_t)n, &pid) == -1) {
		log_warnx("%s: %s holds no pid: ignored", w->id, w->pid_file);
		return 0;
	}
	return pid;
}

/* Is `pid` a worker with `w`'s control socket? */
static int
adopt_is_worker(const struct worker *w, pid_t pid)
{
	char	 path[64], buf[ADOPT_READ_MAX];
	ssize_t	 n;

	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	if ((n = adopt_read_file(path, buf, sizeof buf)) <= 0)
		return 0;
	return adopt_cmdline_is_worker(buf, (size_t)n, w->control);
}

/* `stats` on the worker's control socket, waiting ctld.interval at most
 * (once per worker, before the event loop runs). */
static json_t *
adopt_ask(const struct worker *w, char **cause)
{
	struct ctl_client	*cl;
	json_t			*rep;

	if (access(w->control, F_OK) != 0) {
		*cause = xasprintf("%s: %s", w->control, strerror(errno));
		return NULL;
	}
	if ((cl = ctl_client_connect(w->control, cause)) == NULL)
		return NULL;
	rep = ctl_client_call(cl, "stats", NULL, 0,
	    (int)w->ctld->conf.ctld.interval, cause);
	ctl_client_close(cl);
	return rep;
}

/* A worker process that runs but does not answer holds its ports: it is
 * killed, and started again once its death is seen. */
static int
adopt_kill_silent(struct worker *w, pid_t pid, const char *why,
    adopt_lost_fn lost, char **cause)
{
	journal_add(&w->ctld->journal, "%s (pid %ld) does not answer (%s): "
	    "killed, to start again", w->id, (long)pid, why);
	kill(pid, SIGKILL);
	w->pid = pid;
	w->adopted = 1;
	w->op = OP_RESTART;
	if (adopt_watch(w, lost, cause) == -1)
		return -1;
	return lifecycle_apply(w, WE_STOP, NULL, cause);
}

int
adopt_worker(struct worker *w, adopt_lost_fn lost, char **cause)
{
	struct ctld	*c = w->ctld;
	enum adopt_mode	 mode;
	json_t		*rep;
	char		*why = NULL;
	pid_t		 file_pid, pid;
	int		 rc;

	file_pid = adopt_file_pid(w);
	if ((rep = adopt_ask(w, &why)) == NULL) {
		if (file_pid != 0 && adopt_alive(file_pid) &&
		    adopt_is_worker(w, file_pid)) {
			rc = adopt_kill_silent(w, file_pid, why, lost, cause);
			free(why);
			return rc == -1 ? -1 : 1;
		}
		log_debug("%s: nothing to adopt: %s", w->id, why);
		free(why);
		return 0;
	}
	if (adopt_check_stats(rep, w->id, w->addr, &pid, &mode,
	    &why) == 0 && !adopt_alive(pid))
		why = xasprintf("its pid %ld is not alive here", (long)pid);
	if (why != NULL) {
		journal_add(&c->journal, "%s: %s answers, but is not adopted: "
		    "%s", w->id, w->control, why);
		free(why);
		json_decref(rep);
		return 0;
	}
	w->pid = pid;
	w->adopted = 1;
	worker_stats_update(w, rep);
	json_decref(rep);
	w->started_ms = clock_mono_ms() - w->st.uptime_s * 1000;
	if (file_pid != pid)
		worker_write_pid(w);
	if (adopt_watch(w, lost, cause) == -1)
		return -1;
	journal_add(&c->journal, "adopted %s (pid %ld)", w->id, (long)pid);
	switch (mode) {
	case ADOPT_STOPPING:
		w->op_deadline_ms = clock_mono_ms() +
		    c->conf.worker.shutdown_timeout + CTLD_KILL_GRACE_MS;
		rc = lifecycle_apply(w, WE_STOP, "adopted", cause);
		break;
	case ADOPT_DRAINING:
		w->want_drain = 1;
		rc = lifecycle_apply(w, WE_FOUND_DRAINING, "adopted", cause);
		break;
	default:
		/* In HAProxy already (found by lb_reconcile): its step
		 * only makes sure its checks are on and it is ready. */
		rc = lifecycle_apply(w, WE_READY, "adopted", cause);
		break;
	}
	return rc == -1 ? -1 : 1;
}
