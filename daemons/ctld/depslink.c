/*
 * depslink.c — pfo3-ctld's link to pfo3-ctld-deps (depslink.h): starts it on
 * a socket pair, keeps its last report, hands its heartbeats to the tick,
 * forwards the storage runs, and starts it again when it dies: at once
 * after a long life, else after workers.restart_min, doubled each time it
 * dies young, up to workers.restart_max, as for a worker.  Meanwhile the
 * dependencies read as unchecked ("unknown" in pfo3ctl), the queues as
 * none, and a storage run under way fails.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "clock.h"
#include "ctl.h"
#include "ctld.h"
#include "depslink.h"
#include "log.h"
#include "xmalloc.h"

/* Lived this long: a death is not a crash loop. */
#define DEPSLINK_STABLE_MS	10000
#define DEPSLINK_ARGS		64

static const char *const depslink_names[] = { "postgres", "s3", "amqp" };

struct depslink {
	struct ctld		*c;
	char			*path;		/* pfo3-ctld-deps */
	pid_t			 pid;		/* 0: not running */
	struct bufferevent	*bev;		/* NULL: no link */
	struct event		*restart;
	int64_t			 started_ms;
	int64_t			 backoff_ms;
	char			 why[160];	/* why it does not run */

	json_t			*deps;		/* the last report's, or NULL */
	json_t			*queues;
	int64_t			 jobs_queued;
	json_t			*beats;		/* since the last tick */

	depslink_reply_fn	 fn;		/* a storage run under way */
	void			*arg;
	int			 running;	/* a storage run was sent */
	int			 log_level;	/* set by log.level, or -1 */
};

/* In the child: the socket as stdin and stdout, our log kept, default
 * signals, exec. */
static void __attribute__((noreturn))
depslink_exec(const char *path, int fd, char *const argv[])
{
	setpgid(0, 0);
	dup2(fd, 0);
	dup2(fd, 1);
	spawn_exec(path, argv);
}

/* The link is gone: what it told is forgotten, a run under way fails. */
static void
depslink_down(struct depslink *l, const char *why)
{
	depslink_reply_fn fn = l->fn;

	snprintf(l->why, sizeof l->why, "%s", why);
	if (l->bev != NULL) {
		bufferevent_free(l->bev);
		l->bev = NULL;
	}
	json_decref(l->deps);
	json_decref(l->queues);
	l->deps = l->queues = NULL;
	l->jobs_queued = 0;
	l->fn = NULL;
	if (l->running && fn != NULL)
		fn(NULL, l->why, l->arg);
	l->running = 0;
	/* It ends on its own when the socket closes; this is sooner. */
	if (l->pid != 0)
		kill(l->pid, SIGTERM);
}

/* One report or answer of pfo3-ctld-deps. */
static void
depslink_line(struct depslink *l, const char *line, size_t len)
{
	json_t		*msg, *st, *b, *one;
	depslink_reply_fn fn;
	int64_t		 now = clock_mono_ms();
	size_t		 i;

	if ((msg = json_loadb(line, len, 0, NULL)) == NULL) {
		log_warnx("pfo3-ctld-deps: a line that is not JSON");
		return;
	}
	if (json_is_object(json_object_get(msg, "deps"))) {
		json_decref(l->deps);
		json_decref(l->queues);
		l->deps = json_incref(json_object_get(msg, "deps"));
		l->queues = json_incref(json_object_get(msg, "queues"));
		l->jobs_queued = json_integer_value(json_object_get(msg,
		    "jobs_queued"));
		json_array_foreach(json_object_get(msg, "beats"), i, b) {
			one = json_deep_copy(b);
			json_object_set_new(one, "recv_ms", json_integer(now -
			    json_integer_value(json_object_get(b, "age_ms"))));
			json_array_append_new(l->beats, one);
		}
	}
	if ((st = json_object_get(msg, "storage")) != NULL && l->running) {
		fn = l->fn;
		l->fn = NULL;
		l->running = 0;
		if (fn != NULL)
			fn(json_incref(json_object_get(st, "reply")),
			    json_string_value(json_object_get(st, "error")),
			    l->arg);
	}
	json_decref(msg);
}

static void
depslink_read(struct bufferevent *bev, void *arg)
{
	struct depslink	*l = arg;
	char		*line;
	size_t		 len;

	while ((line = evbuffer_readln(bufferevent_get_input(bev), &len,
	    EVBUFFER_EOL_LF)) != NULL) {
		depslink_line(l, line, len);
		free(line);
	}
}

static void
depslink_event(struct bufferevent *bev, short what, void *arg)
{
	struct depslink *l = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		depslink_down(l, "pfo3-ctld-deps closed the link");
}

/* Sends one line (`msg` stolen), when the link is up. */
static void
depslink_send(struct depslink *l, json_t *msg)
{
	if (l->bev != NULL)
		ctl_frame_send(l->bev, msg);
	else
		json_decref(msg);
}

/* Starts pfo3-ctld-deps; on failure, the restart timer tries again. */
static int
depslink_spawn(struct depslink *l)
{
	struct ctld	*c = l->c;
	char		*argv[DEPSLINK_ARGS];
	int		 sv[2], i = 0;
	pid_t		 pid;

	argv[i++] = l->path;
	argv[i++] = "-f";
	if (c->conf_path != NULL) {
		argv[i++] = "-c";
		argv[i++] = (char *)c->conf_path;
	}
	for (int j = 0; j < c->nsets && i < DEPSLINK_ARGS - 3; j++) {
		argv[i++] = "-o";
		argv[i++] = c->sets[j];
	}
	argv[i] = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("pfo3-ctld-deps: socketpair");
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("pfo3-ctld-deps: fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		depslink_exec(l->path, sv[1], argv);
	close(sv[1]);
	evutil_make_socket_nonblocking(sv[0]);
	if ((l->bev = bufferevent_socket_new(c->base, sv[0],
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(sv[0]);
		kill(pid, SIGTERM);
		l->pid = pid;
		return -1;
	}
	bufferevent_setcb(l->bev, depslink_read, NULL, depslink_event, l);
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
	l->pid = pid;
	l->started_ms = clock_mono_ms();
	snprintf(l->why, sizeof l->why, "pfo3-ctld-deps starting");
	log_info("pfo3-ctld-deps started (pid %ld)", (long)pid);
	if (l->log_level != -1)
		depslink_log_level(l, l->log_level);
	return 0;
}

static void
depslink_restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct depslink	*l = arg;
	struct timeval	 tv;

	(void)fd;
	(void)what;
	if (l->pid == 0 && depslink_spawn(l) == -1 && l->pid == 0) {
		clock_timeval(&tv, l->c->conf.workers.restart_max);
		event_add(l->restart, &tv);
	}
}

struct depslink *
depslink_start(struct ctld *c, char **cause)
{
	struct depslink	*l;
	char		*path;

	if ((path = spawn_beside_self("pfo3-ctld-deps", cause)) == NULL)
		return NULL;
	l = xcalloc(1, sizeof *l);
	l->c = c;
	l->path = path;
	l->beats = json_array();
	l->backoff_ms = c->conf.workers.restart_min;
	l->log_level = -1;
	if (access(l->path, X_OK) != 0) {
		*cause = xasprintf("%s: %s", l->path, strerror(errno));
		depslink_stop(l);
		return NULL;
	}
	if ((l->restart = evtimer_new(c->base, depslink_restart_cb, l)) ==
	    NULL) {
		*cause = xstrdup("pfo3-ctld-deps: evtimer_new failed");
		depslink_stop(l);
		return NULL;
	}
	depslink_restart_cb(-1, 0, l);
	return l;
}

void
depslink_stop(struct depslink *l)
{
	if (l == NULL)
		return;
	depslink_down(l, "pfo3-ctld stops");
	if (l->restart != NULL)
		event_free(l->restart);
	json_decref(l->beats);
	free(l->path);
	free(l);
}

int
depslink_reaped(struct depslink *l, pid_t pid, const char *how)
{
	struct timeval	tv;
	int64_t		lived, delay;

	if (l == NULL || pid != l->pid)
		return 0;
	l->pid = 0;
	lived = clock_mono_ms() - l->started_ms;
	if (lived < DEPSLINK_STABLE_MS) {
		delay = l->backoff_ms;
		l->backoff_ms *= 2;
		if (l->backoff_ms > l->c->conf.workers.restart_max)
			l->backoff_ms = l->c->conf.workers.restart_max;
	} else {
		delay = 0;
		l->backoff_ms = l->c->conf.workers.restart_min;
	}
	journal_add(&l->c->journal, "pfo3-ctld-deps %s; dependencies "
	    "unknown until it runs again (in %lld ms)", how, (long long)delay);
	log_warnx("pfo3-ctld-deps %s; restarting in %lld ms", how,
	    (long long)delay);
	depslink_down(l, "pfo3-ctld-deps is not running");
	clock_timeval(&tv, delay);
	event_add(l->restart, &tv);
	return 1;
}

json_t *
depslink_deps(struct depslink *l)
{
	json_t	*all;
	size_t	 i;

	if (l->deps != NULL)
		return json_deep_copy(l->deps);
	all = json_object();
	for (i = 0; i < sizeof depslink_names / sizeof *depslink_names; i++)
		json_object_set_new(all, depslink_names[i], json_pack(
		    "{s:b,s:n,s:f,s:I,s:s}", "checked", 0, "ok",
		    "latency_ms", 0.0, "failures", (json_int_t)0,
		    "error", l->why));
	return all;
}

json_t *
depslink_queues(struct depslink *l, int64_t *jobs_queued)
{
	*jobs_queued = l->jobs_queued;
	return l->queues != NULL ? json_deep_copy(l->queues) : json_array();
}

void
depslink_beats(struct depslink *l, depslink_beat_fn fn, void *arg)
{
	json_t	*b;
	size_t	 i;

	json_array_foreach(l->beats, i, b)
		fn(json_string_value(json_object_get(b, "id")),
		    json_object_get(b, "stats"),
		    json_integer_value(json_object_get(b, "recv_ms")), arg);
	json_array_clear(l->beats);
}

int
depslink_storage(struct depslink *l, json_t *req, depslink_reply_fn fn,
    void *arg, char **cause)
{
	if (l->bev == NULL) {
		json_decref(req);
		*cause = xstrdup(l->why);
		return -1;
	}
	depslink_send(l, req);
	l->fn = fn;
	l->arg = arg;
	l->running = 1;
	return 0;
}

void
depslink_log_level(struct depslink *l, int level)
{
	l->log_level = level;
	depslink_send(l, json_pack("{s:s}", "log_level",
	    log_level_name(level)));
}
