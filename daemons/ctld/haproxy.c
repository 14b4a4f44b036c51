/*
 * haproxy.c — HAProxy through its runtime API: one command per connection
 * on its Unix socket, the reply read to EOF.  Success is an empty reply;
 * anything else is HAProxy's error text.
 *
 * Commands run on the event thread.  The socket is local and HAProxy
 * answers in microseconds, so a blocking exchange bounded by
 * ctld.haproxy_timeout is simpler than a state machine per command, and
 * keeps each admin action's steps in order.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "ctld.h"
#include "haproxy-stat.h"
#include "log.h"
#include "xmalloc.h"

/* `show stat` of 64 servers in a few backends is ~40 KiB. */
#define LB_REPLY_MAX	(4 * 1024 * 1024)

int
lb_enabled(const struct ctld *c)
{
	return *c->conf.ctld.haproxy_socket != '\0' && c->nbackends > 0;
}

/* Waits until `fd` is ready for `events` or the deadline passes. */
static int
lb_wait(int fd, short events, int64_t deadline, char **cause)
{
	struct pollfd	pfd = { .fd = fd, .events = events };
	int64_t		left;
	int		n;

	for (;;) {
		left = deadline - clock_mono_ms();
		if (left <= 0) {
			*cause = xstrdup("timed out");
			return -1;
		}
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR) {
			*cause = xasprintf("poll: %s", strerror(errno));
			return -1;
		}
	}
}

/* Sends one command; *reply gets the whole answer (trailing newlines
 * trimmed).  -1 with *cause when HAProxy cannot be reached. */
int
lb_command(struct ctld *c, const char *cmd, char **reply, char **cause)
{
	struct sockaddr_un	 sun;
	int64_t			 deadline;
	char			*buf = NULL, *line, *why = NULL;
	size_t			 len = 0, cap = 0, off = 0, n;
	ssize_t			 r;
	int			 fd;

	deadline = clock_mono_ms() + c->conf.ctld.haproxy_timeout;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s",
	    c->conf.ctld.haproxy_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*cause = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1 &&
	    errno != EINPROGRESS && errno != EAGAIN) {
		*cause = xasprintf("%s: %s", sun.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	line = xasprintf("%s\n", cmd);
	n = strlen(line);
	while (off < n) {
		if (lb_wait(fd, POLLOUT, deadline, &why) == -1)
			goto fail;
		r = write(fd, line + off, n - off);
		if (r == -1 && errno != EAGAIN && errno != EINTR) {
			why = xstrdup(strerror(errno));
			goto fail;
		}
		if (r > 0)
			off += (size_t)r;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap == 0 ? 8192 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		if (lb_wait(fd, POLLIN, deadline, &why) == -1)
			goto fail;
		r = read(fd, buf + len, cap - len - 1);
		if (r == 0)
			break;
		if (r == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			why = xstrdup(strerror(errno));
			goto fail;
		}
		len += (size_t)r;
		if (len > LB_REPLY_MAX) {
			why = xstrdup("reply too long");
			goto fail;
		}
	}
	close(fd);
	free(line);
	if (buf == NULL)
		buf = xstrdup("");
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	*reply = buf;
	return 0;
fail:
	*cause = xasprintf("%s: %s", cmd, why);
	free(why);
	free(buf);
	free(line);
	close(fd);
	return -1;
}

/* A command that must answer nothing (success); 0 or -1 with *cause. */
static int
lb_do(struct ctld *c, char **cause, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
lb_do(struct ctld *c, char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*cmd, *reply = NULL;
	int	 rc;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) == -1)
		fatalx("vasprintf failed");
	va_end(ap);
	rc = lb_command(c, cmd, &reply, cause);
	/* `add server`, `del server` and `set server … addr` say what they
	 * did even when they succeed. */
	if (rc == 0 && ((strncmp(cmd, "add server ", 11) == 0 &&
	    strcmp(reply, "New server registered.") == 0) ||
	    (strncmp(cmd, "del server ", 11) == 0 &&
	    strcmp(reply, "Server deleted.") == 0) ||
	    (strncmp(cmd, "set server ", 11) == 0 &&
	    strstr(cmd, " addr ") != NULL &&
	    (strncmp(reply, "no need to change", 17) == 0 ||
	    strstr(reply, "changed from") != NULL))))
		*reply = '\0';
	if (rc == 0 && *reply != '\0') {
		*cause = xasprintf("haproxy: %s: %s", cmd, reply);
		rc = -1;
	}
	log_debug("haproxy: %s: %s", cmd, rc == 0 ? "ok" : *cause);
	free(reply);
	free(cmd);
	return rc;
}

/*
 * Adds the worker to every backend: in maintenance at first (as every
 * dynamic server), then checks on, the agent up, then ready.  A server of that name that
 * exists already (a restart, or found at start) only gets its address set
 * and its checks and state enabled.
 */
static int
lb_add(struct ctld *c, struct worker *w, char **cause)
{
	char	*host, *port, *agent = NULL;
	int	 i, rc = -1;

	if (!lb_enabled(c))
		return 0;
	host = xstrdup(w->addr);
	port = strrchr(host, ':');
	*port++ = '\0';
	if (w->agent_port != 0)
		agent = xasprintf(" agent-check agent-port %d", w->agent_port);
	for (i = 0; i < c->nbackends; i++) {
		if (!w->in_lb) {
			if (lb_do(c, cause, "add server %s/%s %s:%s %s%s",
			    c->backends[i], w->id, host, port,
			    c->conf.ctld.haproxy_server, agent != NULL ? agent :
			    "") == -1)
				goto out;
		} else if (lb_do(c, cause, "set server %s/%s addr %s port %s",
		    c->backends[i], w->id, host, port) == -1)
			goto out;
		if (lb_do(c, cause, "enable health %s/%s", c->backends[i],
		    w->id) == -1)
			goto out;
		/*
		 * A dynamic server's agent starts down, and "ready N%" (what
		 * the workers answer) sets the admin state, not the agent's:
		 * without this, HAProxy keeps it DOWN (agent).
		 */
		if (agent != NULL && (lb_do(c, cause, "enable agent %s/%s",
		    c->backends[i], w->id) == -1 || lb_do(c, cause,
		    "set server %s/%s agent up", c->backends[i], w->id) == -1))
			goto out;
		if (lb_do(c, cause, "set server %s/%s state ready",
		    c->backends[i], w->id) == -1)
			goto out;
	}
	w->in_lb = 1;
	rc = 0;
out:
	free(agent);
	free(host);
	return rc;
}

/* state: ready, drain or maint, in every backend. */
static int
lb_set_state(struct ctld *c, struct worker *w, const char *state,
    char **cause)
{
	int i;

	if (!lb_enabled(c) || !w->in_lb)
		return 0;
	for (i = 0; i < c->nbackends; i++)
		if (lb_do(c, cause, "set server %s/%s state %s", c->backends[i],
		    w->id, state) == -1)
			return -1;
	return 0;
}

/* Maintenance, then `del server`, in every backend; a backend that has
 * no such server (deleted by an earlier try) is done already. */
static int
lb_delete(struct ctld *c, struct worker *w, char **cause)
{
	int i;

	if (!lb_enabled(c) || !w->in_lb)
		return 0;
	for (i = 0; i < c->nbackends; i++) {
		if (lb_do(c, cause, "set server %s/%s state maint",
		    c->backends[i], w->id) == -1) {
			if (strstr(*cause, "No such server") == NULL)
				return -1;
			free(*cause);
			*cause = NULL;
			continue;
		}
		if (lb_do(c, cause, "del server %s/%s", c->backends[i],
		    w->id) == -1)
			return -1;
	}
	w->in_lb = 0;
	return 0;
}

int
lb_carry(struct ctld *c, struct worker *w, enum lb_action a, char **cause)
{
	switch (a) {
	case LB_ENABLE:
		return lb_add(c, w, cause);
	case LB_DRAIN:
		return lb_set_state(c, w, "drain", cause);
	case LB_READY:
		return lb_set_state(c, w, "ready", cause);
	case LB_DISABLE:
		return lb_delete(c, w, cause);
	default:
		return 0;
	}
}

/* One server row of `show stat`: into its worker, when it is ours. */
static void
lb_row_apply(const struct lb_row *row, void *arg)
{
	struct ctld	*c = arg;
	struct worker	*w;
	int		 be;

	for (be = 0; be < c->nbackends; be++)
		if (strcmp(row->pxname, c->backends[be]) == 0)
			break;
	if (be == c->nbackends || (w = worker_find(c, row->svname)) == NULL)
		return;
	w->in_lb = 1;
	w->lb.sessions += row->scur;
	if (be != 0)
		return;
	/* The first backend's row is the one shown. */
	w->lb.present = 1;
	snprintf(w->lb.status, sizeof w->lb.status, "%s", row->status);
	snprintf(w->lb.check, sizeof w->lb.check, "%s", row->check);
	snprintf(w->lb.addr, sizeof w->lb.addr, "%s", row->addr);
	w->lb.queue = row->qcur;
	w->lb.rate = row->rate;
	w->lb.http_5xx = row->hrsp_5xx;
}

/* Reads a `show stat` reply into every worker's lb fields. */
int
lb_parse_stat(struct ctld *c, const char *text, char **cause)
{
	struct worker *w;

	TAILQ_FOREACH(w, &c->workers, entry) {
		memset(&w->lb, 0, sizeof w->lb);
		w->in_lb = 0;
	}
	return lb_stat_parse(text, lb_row_apply, c, cause);
}

/* `show stat` into every worker's lb fields; 0 or -1 (lb_ok says). */
int
lb_refresh(struct ctld *c)
{
	char	*reply = NULL, *cause = NULL;
	int64_t	 t0 = clock_mono_us();
	int	 rc;

	if (!lb_enabled(c))
		return 0;
	rc = lb_command(c, "show stat", &reply, &cause);
	if (rc == 0)
		rc = lb_parse_stat(c, reply, &cause);
	c->lb_latency_ms = (double)(clock_mono_us() - t0) / 1000.0;
	if (rc == 0) {
		if (!c->lb_ok)
			journal_add(&c->journal, "haproxy reachable");
		c->lb_ok = 1;
		c->lb_error[0] = '\0';
	} else {
		if (c->lb_ok || c->lb_error[0] == '\0')
			journal_add(&c->journal, "haproxy unreachable: %s",
			    cause);
		c->lb_ok = 0;
		snprintf(c->lb_error, sizeof c->lb_error, "%s", cause);
	}
	free(cause);
	free(reply);
	return rc;
}

/*
 * At start: every server HAProxy lists in our backends that is not one of
 * our workers is taken out: maintenance, then `del server` (which 2.6
 * allows for servers of the configuration file too; one it refuses, say a
 * tracked one, stays in maintenance).  Ours are marked as found, and are
 * set ready when their worker is.
 */
/* One server row at start: ours is marked found, another is taken out. */
static void
lb_row_reconcile(const struct lb_row *row, void *arg)
{
	struct ctld	*c = arg;
	struct worker	*w;
	char		*cause = NULL;
	int		 be;

	for (be = 0; be < c->nbackends; be++)
		if (strcmp(row->pxname, c->backends[be]) == 0)
			break;
	if (be == c->nbackends)
		return;
	if ((w = worker_find(c, row->svname)) != NULL) {
		w->in_lb = 1;
		return;
	}
	if (lb_do(c, &cause, "set server %s/%s state maint", row->pxname,
	    row->svname) == 0 && lb_do(c, &cause, "del server %s/%s",
	    row->pxname, row->svname) == 0)
		journal_add(&c->journal, "haproxy: %s/%s is not ours: deleted",
		    row->pxname, row->svname);
	else {
		journal_add(&c->journal, "haproxy: %s/%s is not ours: left in "
		    "maintenance (%s)", row->pxname, row->svname, cause);
		free(cause);
	}
}

void
lb_reconcile(struct ctld *c)
{
	char *reply = NULL, *cause = NULL;

	if (!lb_enabled(c))
		return;
	if (lb_command(c, "show stat", &reply, &cause) == -1 ||
	    lb_stat_parse(reply, lb_row_reconcile, c, &cause) == -1) {
		log_warnx("haproxy: cannot reconcile: %s", cause);
		free(cause);
	}
	free(reply);
}
