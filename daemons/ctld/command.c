/*
 * command.c — pfo3-ctld's command table and handlers, served on two
 * sockets: admin (every command, mode 0660) and read-only (the CTL_READ
 * rows, mode 0666).  common/ctl checks arity and access from the table,
 * answers `help` and `ping`, refuses malformed and oversized lines, and
 * logs every admin command with the peer's uid, its arguments and its
 * result.
 *
 * Admin commands reply once their action has started; its progress shows
 * in status (the worker's state, and the events list).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "clock.h"
#include "ctl.h"
#include "ctld.h"
#include "depslink.h"
#include "journal.h"
#include "log.h"
#include "net.h"
#include "xmalloc.h"

/* watch INTERVAL_MS bounds. */
#define WATCH_MIN_MS	100
#define WATCH_MAX_MS	60000
/* worker.add COUNT at most at once. */
#define ADD_MAX		64

static void	cmd_status(struct ctl_call *);
static void	cmd_watch(struct ctl_call *);
static void	cmd_add(struct ctl_call *);
static void	cmd_drain(struct ctl_call *);
static void	cmd_resume(struct ctl_call *);
static void	cmd_remove(struct ctl_call *);
static void	cmd_restart(struct ctl_call *);
static void	cmd_log_level(struct ctl_call *);

static const struct ctl_command command_table[] = {
	{ "status", "", 0, 0, CTL_READ,
	  "The cluster: workers, HAProxy, queues, dependencies, totals, "
	  "history and recent events.", cmd_status },
	{ "watch", "[INTERVAL_MS]", 0, 1, CTL_READ,
	  "One status object every INTERVAL_MS (default ctld.interval) "
	  "until the client closes.", cmd_watch },
	{ "worker.add", "[COUNT|ADDR:PORT]", 0, 1, CTL_ADMIN,
	  "Start COUNT (default 1) local workers on the next free ports, or "
	  "register the remote worker at ADDR:PORT; each joins HAProxy once "
	  "ready.", cmd_add },
	{ "worker.drain", "ID", 1, 1, CTL_ADMIN,
	  "Take a worker out of rotation; in-flight requests and jobs "
	  "finish, then it is drained.", cmd_drain },
	{ "worker.resume", "ID", 1, 1, CTL_ADMIN,
	  "Put a drained worker back in rotation.", cmd_resume },
	{ "worker.remove", "ID", 1, 1, CTL_ADMIN,
	  "Drain a worker, delete it from HAProxy once idle, then stop it.",
	  cmd_remove },
	{ "worker.restart", "ID|all", 1, 1, CTL_ADMIN,
	  "Restart a local worker, or all of them one at a time, each back "
	  "up before the next.", cmd_restart },
	{ "log.level", "LEVEL", 1, 1, CTL_ADMIN,
	  "Set the log level of pfo3-ctld (and of its pfo3-ctld-deps): "
	  "error, warn, info or debug.",
	  cmd_log_level },
	{ "storage.check", "[AGE]", 0, 1, CTL_READ,
	  "Compare S3 with PostgreSQL: objects without row, rows without "
	  "object, multipart uploads older than AGE (default "
	  "storage.stale_after).", storage_check },
	{ "storage.repair", "[AGE] [strangers]", 0, 2, CTL_ADMIN,
	  "As storage.check, then delete our orphan objects, free stale "
	  "uploads and fix rows without object; \"strangers\" also deletes "
	  "objects pfo3 never reserved.", storage_repair },
	{ NULL, NULL, 0, 0, CTL_READ, NULL, NULL },
};

static void
cmd_status(struct ctl_call *call)
{
	ctl_call_reply(call, status_json(ctl_call_ctx(call)));
}

static void
watch_free(struct watcher *wt)
{
	TAILQ_REMOVE(&wt->ctld->watchers, wt, entry);
	event_free(wt->ev);
	free(wt);
}

static void
watch_closed(struct ctl_call *call, void *arg)
{
	struct watcher *wt = arg;

	/* The client left: the call must still be ended. */
	ctl_call_reply(call, NULL);
	watch_free(wt);
}

static void
watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct watcher *wt = arg;

	if (ctl_call_stream(wt->call, status_json(wt->ctld)) == -1)
		watch_free(wt);
}

static void
cmd_watch(struct ctl_call *call)
{
	struct ctld	*c = ctl_call_ctx(call);
	struct watcher	*wt;
	struct timeval	 tv;
	const char	*arg = ctl_call_arg(call, 0);
	char		*cause = NULL;
	int64_t		 ms = c->conf.ctld.interval;

	if (arg != NULL && (conf_parse_int(arg, &ms, &cause) == -1 ||
	    ms < WATCH_MIN_MS || ms > WATCH_MAX_MS)) {
		ctl_call_fail(call, "watch: INTERVAL_MS must be an integer "
		    "from %d to %d", WATCH_MIN_MS, WATCH_MAX_MS);
		free(cause);
		return;
	}
	wt = xcalloc(1, sizeof *wt);
	wt->ctld = c;
	wt->call = call;
	wt->interval_ms = ms;
	if ((wt->ev = event_new(c->base, -1, EV_PERSIST, watch_cb, wt)) ==
	    NULL) {
		/* Without its timer the watch would stream nothing. */
		ctl_call_fail(call, "watch: event_new failed");
		free(wt);
		return;
	}
	TAILQ_INSERT_TAIL(&c->watchers, wt, entry);
	ctl_call_on_close(call, watch_closed, wt);
	if (ctl_call_stream(call, status_json(c)) == -1) {
		watch_free(wt);
		return;
	}
	clock_timeval(&tv, ms);
	event_add(wt->ev, &tv);
}

/* "worker.drain by uid 0" */
static char *
cmd_by(struct ctl_call *call)
{
	return xasprintf("%s by uid %ld", ctl_call_command(call)->name,
	    (long)ctl_call_uid(call));
}

static struct worker *
cmd_worker(struct ctl_call *call)
{
	struct ctld	*c = ctl_call_ctx(call);
	struct worker	*w;
	const char	*id = ctl_call_arg(call, 0);

	if ((w = worker_find(c, id)) == NULL)
		ctl_call_fail(call, "no worker '%s'", id);
	return w;
}

static void
cmd_add(struct ctl_call *call)
{
	struct ctld	*c = ctl_call_ctx(call);
	struct worker	*w;
	const char	*arg = ctl_call_arg(call, 0);
	json_t		*ids;
	char		*cause = NULL, *by;
	int64_t		 count = 1, i;

	if (c->stopping) {
		ctl_call_fail(call, "pfo3-ctld is stopping");
		return;
	}
	by = cmd_by(call);
	if (arg != NULL && strchr(arg, ':') != NULL) {
		if ((w = worker_new_remote(c, arg, &cause)) == NULL) {
			ctl_call_fail(call, "worker.add %s: %s", arg, cause);
			goto out;
		}
		journal_add(&c->journal, "%s registered at %s, remote (%s)",
		    w->id, w->addr, by);
		ctl_call_reply(call, json_pack("{s:s,s:[s],s:s,s:b}", "worker",
		    w->id, "workers", w->id, "addr", w->addr, "local", 0));
		goto out;
	}
	if (arg != NULL && (conf_parse_int(arg, &count, &cause) == -1 ||
	    count < 1 || count > ADD_MAX)) {
		ctl_call_fail(call, "worker.add: COUNT must be an integer from "
		    "1 to %d, or ADDR:PORT for a remote worker", ADD_MAX);
		goto out;
	}
	if (c->nworkers + count > c->conf.ctld.max_workers) {
		ctl_call_fail(call, "worker.add: %d workers and %lld more "
		    "exceed ctld.max_workers (%lld)", c->nworkers,
		    (long long)count, (long long)c->conf.ctld.max_workers);
		goto out;
	}
	ids = json_array();
	for (i = 0; i < count; i++) {
		if ((w = worker_new_local(c, &cause)) == NULL)
			break;
		if (supervise_spawn(w, &cause) == -1) {
			worker_free(w);
			break;
		}
		journal_add(&c->journal, "%s added on %s (%s)", w->id,
		    w->addr, by);
		json_array_append_new(ids, json_string(w->id));
	}
	if (json_array_size(ids) == 0) {
		ctl_call_fail(call, "worker.add: %s", cause);
		json_decref(ids);
		goto out;
	}
	if (cause != NULL)
		journal_add(&c->journal, "worker.add: stopped after %zu: %s",
		    json_array_size(ids), cause);
	ctl_call_reply(call, json_pack("{s:O,s:o}", "worker",
	    json_array_get(ids, 0), "workers", ids));
out:
	free(cause);
	free(by);
}

/* Runs `fn` on the worker named by the first argument. */
static void
cmd_action(struct ctl_call *call, int (*fn)(struct worker *, const char *,
    char **))
{
	struct worker	*w;
	char		*cause = NULL, *by, id[CTLD_ID_MAX + 1];

	if ((w = cmd_worker(call)) == NULL)
		return;
	snprintf(id, sizeof id, "%s", w->id);
	by = cmd_by(call);
	/* `w` may be gone after fn (a remote worker removed at once). */
	if (fn(w, by, &cause) == -1)
		ctl_call_fail(call, "%s", cause);
	else {
		w = worker_find(ctl_call_ctx(call), id);
		ctl_call_reply(call, json_pack("{s:s,s:s}", "worker", id,
		    "state", w != NULL ? lifecycle_state_name(w->state) :
		    "removed"));
	}
	free(cause);
	free(by);
}

static void
cmd_drain(struct ctl_call *call)
{
	cmd_action(call, action_drain);
}

static void
cmd_resume(struct ctl_call *call)
{
	cmd_action(call, action_resume);
}

static void
cmd_remove(struct ctl_call *call)
{
	cmd_action(call, action_remove);
}

static void
cmd_restart(struct ctl_call *call)
{
	struct ctld	*c = ctl_call_ctx(call);
	char		*cause = NULL, *by;

	if (strcmp(ctl_call_arg(call, 0), "all") != 0) {
		cmd_action(call, action_restart);
		return;
	}
	by = cmd_by(call);
	if (action_restart_all(c, by, &cause) == -1)
		ctl_call_fail(call, "%s", cause);
	else
		ctl_call_reply(call, json_pack("{s:s,s:s}", "worker", "all",
		    "order", c->restart_all));
	free(cause);
	free(by);
}

static void
cmd_log_level(struct ctl_call *call)
{
	const char	*name = ctl_call_arg(call, 0);
	int		 level;

	if ((level = log_level_parse(name)) == -1) {
		ctl_call_fail(call, "log.level: unknown level '%s' (error, "
		    "warn, info or debug)", name);
		return;
	}
	log_set_level(level);
	depslink_log_level(((struct ctld *)ctl_call_ctx(call))->deps, level);
	ctl_call_reply(call, json_pack("{s:s}", "level",
	    log_level_name(level)));
}

int
command_start(struct ctld *c, char **cause)
{
	const struct pfo3_conf *conf = &c->conf;

	c->admin = ctl_server_new(c->base, conf->ctld.admin_socket, 0660,
	    CTL_ADMIN, command_table, c, (size_t)conf->control.max_line,
	    (int)conf->control.max_clients, cause);
	if (c->admin == NULL)
		return -1;
	log_info("admin socket %s", conf->ctld.admin_socket);
	if (*conf->ctld.read_socket == '\0')
		return 0;
	c->readonly = ctl_server_new(c->base, conf->ctld.read_socket, 0666,
	    CTL_READ, command_table, c, (size_t)conf->control.max_line,
	    (int)conf->control.max_clients, cause);
	if (c->readonly == NULL)
		return -1;
	log_info("read-only socket %s", conf->ctld.read_socket);
	return 0;
}

void
command_stop(struct ctld *c)
{
	struct watcher *wt;

	/* Freeing the servers orphans the watch calls (watch_closed). */
	if (c->admin != NULL)
		ctl_server_free(c->admin);
	if (c->readonly != NULL)
		ctl_server_free(c->readonly);
	c->admin = c->readonly = NULL;
	while ((wt = TAILQ_FIRST(&c->watchers)) != NULL) {
		ctl_call_reply(wt->call, NULL);
		watch_free(wt);
	}
}
