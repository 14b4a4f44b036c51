/*
 * adopt-watch.c — watching the processes pfo3-ctld did not start (the
 * adopted workers) for their end, which no SIGCHLD tells.  See adopt.h.
 */
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "adopt.h"
#include "ctld.h"
#include "log.h"
#include "xmalloc.h"

ssize_t
adopt_read_file(const char *path, char *buf, size_t size)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	return n;
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
	if ((n = adopt_read_file(path, buf, sizeof buf - 1)) <= 0)
		return 1;
	buf[n] = '\0';
	if ((paren = strrchr(buf, ')')) != NULL && paren[1] == ' ' &&
	    (paren[2] == 'Z' || paren[2] == 'X'))
		return 0;
	return 1;
}

/*
 * The watch of an adopted worker: its pidfd turned readable (it ended),
 * or, without a pidfd, the timer of every ctld.interval; or adopt_check
 * made it active.  Only a readable pidfd is proof; anything else asks
 * kill(pid, 0).  Running as an event of its own, it may end (and free)
 * the worker: no caller holds it.  Its end goes to the supervisor's
 * callback (w->lost), so this file needs nothing of the supervisor.
 */
static void
adopt_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	if (!(what & EV_READ) && adopt_alive(w->pid))
		return;
	w->lost(w, "ended (adopted, not our child: exit status "
	    "unknown)");
}

int
adopt_watch(struct worker *w, adopt_lost_fn lost, char **cause)
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
	w->lost = lost;
	if (fd == -1) {
		log_info("%s: no pidfd for pid %ld (%s): checked every "
		    "refresh instead", w->id, (long)w->pid, strerror(errno));
		if ((w->watch_ev = event_new(c->base, -1, EV_PERSIST,
		    adopt_watch_cb, w)) == NULL) {
			*cause = xasprintf("%s: event_new failed", w->id);
			return -1;
		}
		clock_timeval(&tv, c->conf.ctld.interval);
		event_add(w->watch_ev, &tv);
		return 0;
	}
	if ((w->watch_ev = event_new(c->base, fd, EV_READ | EV_PERSIST,
	    adopt_watch_cb, w)) == NULL) {
		close(fd);
		*cause = xasprintf("%s: event_new failed", w->id);
		return -1;
	}
	event_add(w->watch_ev, NULL);
	return 0;
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
