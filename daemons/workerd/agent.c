/*
 * agent.c — HAProxy's agent-check: on each connection the worker writes one
 * line telling its free capacity and closes.  "ready N%" scales the
 * server's weight with the share of idle pool threads, so HAProxy sends
 * less to a busy worker; "drain" asks it to send nothing new.  The weight
 * never drops below 1%: a busy worker still has a queue to take work.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "net.h"
#include "pool.h"
#include "workerd.h"

void
agent_reply(struct workerd *w, char *buf, size_t len)
{
	int total = pool_threads(w->pool), busy = pool_busy(w->pool);
	int idle = total - busy - pool_queued(w->pool), pct;

	if (atomic_load(&w->draining) || w->stopping) {
		snprintf(buf, len, "drain\n");
		return;
	}
	pct = idle <= 0 ? 1 : 100 * idle / total;
	if (pct < 1)
		pct = 1;
	snprintf(buf, len, "ready %d%%\n", pct);
}

static void
agent_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct workerd *w = arg;
	char line[32];
	int fd, i;
	ssize_t n;

	for (i = 0; i < 16; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("agent accept");
			return;
		}
		agent_reply(w, line, sizeof line);
		/* A fresh socket's send buffer always takes a dozen bytes. */
		n = write(fd, line, strlen(line));
		if (n < 0)
			log_debug("agent write: %s", strerror(errno));
		close(fd);
	}
}

int
agent_start(struct workerd *w, char **cause)
{
	w->agent_fd = -1;
	if (*w->conf.worker.agent_listen == '\0')
		return 0;
	w->agent_fd = net_listen_tcp(w->conf.worker.agent_listen, 128, cause);
	if (w->agent_fd == -1)
		return -1;
	w->agent_ev = event_new(w->base, w->agent_fd, EV_READ | EV_PERSIST,
	    agent_accept_cb, w);
	event_add(w->agent_ev, NULL);
	log_info("agent-check on %s", w->conf.worker.agent_listen);
	return 0;
}

void
agent_stop(struct workerd *w)
{
	if (w->agent_ev != NULL)
		event_free(w->agent_ev);
	if (w->agent_fd != -1)
		close(w->agent_fd);
	w->agent_ev = NULL;
	w->agent_fd = -1;
}
