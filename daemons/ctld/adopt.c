/*
 * adopt.c — taking over the workers a previous pfo3-ctld left running,
 * and watching them die without SIGCHLD.  See adopt.h.
 */
#include <sys/syscall.h>
#include <sys/types.h>

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
#include "ctl.h"
#include "ctld.h"
#include "log.h"
#include "xmalloc.h"

/* Enough for a pid file, and for the command line of a worker. */
#define ADOPT_READ_MAX	8192

/* Reads at most ADOPT_READ_MAX bytes of `path`; -1 when it cannot. */
static ssize_t
adopt_read(const char *path, char *buf, size_t size)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	return n;
}

/* The pid in the worker's pid file; 0 without one or when it is bad. */
static pid_t
adopt_file_pid(const struct worker *w)
{
	char	 buf[64];
	ssize_t	 n;
	pid_t	 pid;

	if (*w->pid_file == '\0' ||
	    (n = adopt_read(w->pid_file, buf, sizeof buf)) <= 0)
		return 0;
	if (adopt_parse_pid(buf, (size_t)n, &pid) == -1) {
		log_warnx("%s: %s holds no pid: ignored", w->id, w->pid_file);
		return 0;
	}
	return pid;
}

int
adopt_alive(pid_t pid)
{
	char	 path[64], buf[512], *paren;
	ssize_t	 n;

	if (kill(pid, 0) == -1 && errno != EPERM)
		return 0;
	/* A zombie (nobody reaps an orphan here) is dead: its state, after
	 * the command name in parentheses, is Z. */
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((n = adopt_read(path, buf, sizeof buf - 1)) <= 0)
		return 1;
	buf[n] = '\0';
	if ((paren = strrchr(buf, ')')) != NULL && paren[1] == ' ' &&
	    (paren[2] == 'Z' || paren[2] == 'X'))
		return 0;
	return 1;
}

/* Is `pid` a worker with `w`'s control socket? */
static int
adopt_is_worker(const struct worker *w, pid_t pid)
{
	char	 path[64], buf[ADOPT_READ_MAX];
	ssize_t	 n;

	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	if ((n = adopt_read(path, buf, sizeof buf)) <= 0)
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
static void
adopt_kill_silent(struct worker *w, pid_t pid, const char *why)
{
	ctld_event(w->ctld, "%s (pid %ld) does not answer (%s): killed, to "
	    "start again", w->id, (long)pid, why);
	kill(pid, SIGKILL);
	w->pid = pid;
	w->adopted = 1;
	w->op = OP_RESTART;
	adopt_watch(w);
	worker_set_state(w, WS_STOPPING, NULL);
}

int
adopt_worker(struct worker *w)
{
	struct ctld	*c = w->ctld;
	enum adopt_mode	 mode;
	json_t		*rep;
	char		*cause = NULL;
	pid_t		 file_pid, pid;

	file_pid = adopt_file_pid(w);
	if ((rep = adopt_ask(w, &cause)) == NULL) {
		if (file_pid != 0 && adopt_alive(file_pid) &&
		    adopt_is_worker(w, file_pid)) {
			adopt_kill_silent(w, file_pid, cause);
			free(cause);
			return 0;
		}
		log_debug("%s: nothing to adopt: %s", w->id, cause);
		free(cause);
		return -1;
	}
	if (adopt_check_stats(rep, w->id, w->addr, &pid, &mode,
	    &cause) == 0 && !adopt_alive(pid))
		cause = xasprintf("its pid %ld is not alive here", (long)pid);
	if (cause != NULL) {
		ctld_event(c, "%s: %s answers, but is not adopted: %s", w->id,
		    w->control, cause);
		free(cause);
		json_decref(rep);
		return -1;
	}
	w->pid = pid;
	w->adopted = 1;
	worker_stats_update(w, rep);
	json_decref(rep);
	w->started_ms = clock_mono_ms() - w->st.uptime_s * 1000;
	if (file_pid != pid)
		supervise_write_pid(w);
	adopt_watch(w);
	ctld_event(c, "adopted %s (pid %ld)", w->id, (long)pid);
	switch (mode) {
	case ADOPT_STOPPING:
		w->op_deadline_ms = clock_mono_ms() +
		    c->conf.worker.shutdown_timeout + CTLD_KILL_GRACE_MS;
		worker_set_state(w, WS_STOPPING, "adopted");
		break;
	case ADOPT_DRAINING:
		w->want_drain = 1;
		worker_set_state(w, WS_DRAINING, "adopted");
		break;
	case ADOPT_SERVING:
		/* In HAProxy already (found by lb_reconcile): this only
		 * makes sure its checks are on and it is ready there. */
		if (lb_add(c, w, &cause) == -1) {
			snprintf(w->last_error, sizeof w->last_error, "%s",
			    cause);
			ctld_event(c, "%s: %s", w->id, cause);
			free(cause);
		}
		worker_set_state(w, WS_UP, "adopted");
		break;
	}
	return 0;
}

/*
 * The watch of an adopted worker: its pidfd turned readable (it ended),
 * or, without a pidfd, the timer of every ctld.interval; or adopt_check
 * made it active.  Only a readable pidfd is proof; anything else asks
 * kill(pid, 0).  Running as an event of its own, it may end (and free)
 * the worker: no caller holds it.
 */
static void
adopt_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	if (!(what & EV_READ) && adopt_alive(w->pid))
		return;
	supervise_lost(w, "ended (adopted, not our child: exit status "
	    "unknown)");
}

void
adopt_watch(struct worker *w)
{
	struct ctld	*c = w->ctld;
	struct timeval	 tv;
	int		 fd = -1;

#ifdef SYS_pidfd_open
	/* Close-on-exec by default; readable once the process has ended. */
	fd = (int)syscall(SYS_pidfd_open, w->pid, 0);
#else
	errno = ENOSYS;
#endif
	if (fd == -1) {
		log_info("%s: no pidfd for pid %ld (%s): checked every "
		    "refresh instead", w->id, (long)w->pid, strerror(errno));
		w->watch_ev = event_new(c->base, -1, EV_PERSIST,
		    adopt_watch_cb, w);
		tv.tv_sec = c->conf.ctld.interval / 1000;
		tv.tv_usec = (c->conf.ctld.interval % 1000) * 1000;
		event_add(w->watch_ev, &tv);
		return;
	}
	w->watch_ev = event_new(c->base, fd, EV_READ | EV_PERSIST,
	    adopt_watch_cb, w);
	event_add(w->watch_ev, NULL);
}

void
adopt_unwatch(struct worker *w)
{
	if (w->watch_ev == NULL)
		return;
	if (event_get_fd(w->watch_ev) != -1)
		close(event_get_fd(w->watch_ev));
	event_free(w->watch_ev);
	w->watch_ev = NULL;
}

void
adopt_check(struct worker *w)
{
	if (w->adopted && w->watch_ev != NULL)
		event_active(w->watch_ev, EV_TIMEOUT, 1);
}
