/*
 * action.c — the admin actions on workers, as small state machines: each
 * command starts one and replies at once; the refresh tick (and the events
 * of the workers) move it on, and status shows where it is.
 *
 *   drain:   HAProxy `state drain`, the worker's own `drain` (its /readyz
 *            turns 503, keep-alive ends, its job consumer pauses); the
 *            worker is `drained` once HAProxy counts no session on it and
 *            it has no request or job in flight.
 *   resume:  both back to ready.
 *   remove:  drain; once drained (or after ctld.drain_timeout) HAProxy
 *            `state maint` and `del server`, then SIGTERM.
 *   restart: HAProxy `state drain`, then SIGTERM (the worker finishes its
 *            work before it exits), then a new process, set ready in
 *            HAProxy once it is ready.  `restart all` does one worker at a
 *            time and starts the next only once the previous one is up
 *            again and HAProxy's checks pass on it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctld.h"
#include "journal.h"
#include "lifecycle.h"
#include "log.h"
#include "wlink.h"
#include "xmalloc.h"

/* The worker's answer to drain/resume: only failures matter. */
static void
action_worker_reply(const json_t *rep, const char *error, void *arg)
{
	struct worker *w = arg;

	if (rep == NULL || !json_is_true(json_object_get(rep, "ok")))
		snprintf(w->last_error, sizeof w->last_error, "%s",
		    rep == NULL ? error :
		    json_string_value(json_object_get(rep, "error")));
}

static int
action_busy(struct worker *w, char **cause)
{
	if (w->op == OP_REMOVE) {
		*cause = xasprintf("%s is being removed", w->id);
		return 1;
	}
	if (w->op == OP_RESTART) {
		*cause = xasprintf("%s is restarting", w->id);
		return 1;
	}
	return 0;
}

/* Takes a running worker out of rotation. */
static int
action_start_drain(struct worker *w, const char *why, char **cause)
{
	if (lifecycle_apply(w, WE_DRAIN, why, cause) == -1)
		return -1;
	if (w->local && w->pid != 0)
		wlink_call(w->link, "drain", action_worker_reply, w);
	return 0;
}

int
action_drain(struct worker *w, const char *by, char **cause)
{
	if (action_busy(w, cause))
		return -1;
	if (w->state == WS_DRAINING || w->state == WS_DRAINED) {
		*cause = xasprintf("%s is already %s", w->id,
		    lifecycle_state_name(w->state));
		return -1;
	}
	w->want_drain = 1;
	if (w->state != WS_UP) {
		/* Down, failed, starting: it comes back drained. */
		journal_add(&w->ctld->journal, "%s will stay drained (%s)",
		    w->id, by);
		return 0;
	}
	return action_start_drain(w, by, cause);
}

int
action_resume(struct worker *w, const char *by, char **cause)
{
	struct ctld *c = w->ctld;

	if (action_busy(w, cause))
		return -1;
	if (!w->want_drain && w->state != WS_DRAINING &&
	    w->state != WS_DRAINED) {
		*cause = xasprintf("%s is not drained (%s)", w->id,
		    lifecycle_state_name(w->state));
		return -1;
	}
	w->want_drain = 0;
	if (w->state != WS_DRAINING && w->state != WS_DRAINED) {
		journal_add(&c->journal, "%s will take work when up (%s)",
		    w->id, by);
		return 0;
	}
	if (lifecycle_apply(w, WE_RESUME, by, cause) == -1)
		return -1;
	if (w->local && w->pid != 0)
		wlink_call(w->link, "resume", action_worker_reply, w);
	return 0;
}

/* The last step of a removal: out of HAProxy, then stopped. */
static void
action_finish_remove(struct worker *w)
{
	struct ctld	*c = w->ctld;
	char		*cause = NULL;

	if (lifecycle_apply(w, WE_REMOVE, NULL, &cause) == -1 ||
	    (w->local && w->pid != 0 &&
	    supervise_stop_worker(w, WE_STOP, NULL, &cause) == -1)) {
		/* Try again on the next tick. */
		snprintf(w->last_error, sizeof w->last_error, "%s", cause);
		log_warnx("%s: %s", w->id, cause);
		free(cause);
		return;
	}
	if (w->local && w->pid != 0)
		return;		/* removed once it has exited */
	journal_add(&c->journal, "%s removed", w->id);
	worker_free(w);
}

int
action_remove(struct worker *w, const char *by, char **cause)
{
	struct ctld *c = w->ctld;

	if (w->op == OP_REMOVE) {
		*cause = xasprintf("%s is already being removed", w->id);
		return -1;
	}
	w->op = OP_REMOVE;
	w->op_deadline_ms = clock_mono_ms() + c->conf.ctld.drain_timeout;
	journal_add(&c->journal, "%s removal started (%s)", w->id, by);
	if (w->state == WS_UP || (w->state == WS_STARTING && w->local &&
	    w->pid != 0)) {
		if (action_start_drain(w, by, cause) == -1) {
			w->op = OP_NONE;
			return -1;
		}
	}
	return 0;
}

int
action_restart(struct worker *w, const char *by, char **cause)
{
	struct ctld *c = w->ctld;

	if (!w->local) {
		*cause = xasprintf("%s is remote: pfo3-ctld cannot restart it",
		    w->id);
		return -1;
	}
	if (action_busy(w, cause))
		return -1;
	if (w->pid == 0) {
		*cause = xasprintf("%s is not running (%s): it restarts by "
		    "itself", w->id, lifecycle_state_name(w->state));
		return -1;
	}
	if (w->state == WS_STOPPING) {
		*cause = xasprintf("%s is stopping", w->id);
		return -1;
	}
	/* Out of rotation in HAProxy, then SIGTERM. */
	if (supervise_stop_worker(w, WE_RESTART, NULL, cause) == -1)
		return -1;
	w->op = OP_RESTART;
	journal_add(&c->journal, "%s restarting (%s)", w->id, by);
	return 0;
}

/* True when `w` is back: up, and HAProxy's checks pass on it. */
static int
action_healthy(struct worker *w)
{
	struct ctld *c = w->ctld;

	if (w->op != OP_NONE)
		return 0;
	if (w->state != WS_UP && w->state != WS_DRAINING &&
	    w->state != WS_DRAINED)
		return 0;
	if (!lb_enabled(c) || w->state != WS_UP)
		return 1;
	return strncmp(w->lb.status, "UP", 2) == 0;
}

int
action_restart_all(struct ctld *c, const char *by, char **cause)
{
	struct worker	*w;
	char		*list = NULL, *next;

	if (c->restart_all != NULL) {
		*cause = xstrdup("a rolling restart is already running");
		return -1;
	}
	TAILQ_FOREACH(w, &c->workers, entry) {
		if (!w->local)
			continue;
		next = xasprintf("%s%s%s", list != NULL ? list : "",
		    list != NULL ? " " : "", w->id);
		free(list);
		list = next;
	}
	if (list == NULL) {
		*cause = xstrdup("no local worker to restart");
		return -1;
	}
	journal_add(&c->journal, "rolling restart of %s (%s)", list, by);
	c->restart_all = list;
	c->restart_current[0] = '\0';
	return 0;
}

/* Moves a rolling restart on: one worker at a time, health-gated. */
static void
action_rolling(struct ctld *c)
{
	struct worker	*w;
	char		*cause = NULL, *rest, id[CTLD_ID_MAX + 1];
	size_t		 n;

	if (c->restart_all == NULL)
		return;
	if (c->restart_current[0] != '\0') {
		w = worker_find(c, c->restart_current);
		if (w != NULL && w->state == WS_FAILED) {
			journal_add(&c->journal, "rolling restart stopped: "
			    "%s failed", w->id);
			goto done;
		}
		if (w != NULL && !action_healthy(w))
			return;
	}
	for (;;) {
		rest = c->restart_all + strspn(c->restart_all, " ");
		if (*rest == '\0') {
			journal_add(&c->journal, "rolling restart done");
			goto done;
		}
		n = strcspn(rest, " ");
		snprintf(id, sizeof id, "%.*s", (int)n, rest);
		memmove(c->restart_all, rest + n, strlen(rest + n) + 1);
		if ((w = worker_find(c, id)) == NULL)
			continue;
		if (action_restart(w, "restart all", &cause) == -1) {
			journal_add(&c->journal, "rolling restart: %s skipped: "
			    "%s", id, cause);
			free(cause);
			cause = NULL;
			continue;
		}
		snprintf(c->restart_current, sizeof c->restart_current, "%s",
		    id);
		return;
	}
done:
	free(c->restart_all);
	c->restart_all = NULL;
	c->restart_current[0] = '\0';
}

/*
 * Told of every state change (lifecycle_apply): a worker that an operator
 * drained while it was down or starting comes up, then is drained at once.
 */
static void
action_on_state(struct worker *w, enum wstate from, void *arg)
{
	char *cause = NULL;

	if (w->state != WS_UP || !w->want_drain ||
	    (from != WS_STARTING && from != WS_DOWN))
		return;
	if (action_start_drain(w, "kept drained", &cause) == -1) {
		snprintf(w->last_error, sizeof w->last_error, "%s", cause);
		free(cause);
	}
}

void
action_start(struct ctld *c)
{
	if (lifecycle_listen(c, action_on_state, NULL) == -1)
		fatalx("lifecycle: too many listeners");
}

/* Is a draining worker idle yet? */
static int
action_idle(struct worker *w)
{
	if (w->lb.sessions > 0)
		return 0;
	/* A remote worker was only taken out of HAProxy. */
	if (!w->local || w->pid == 0)
		return 1;
	/* Stats read after the drain began, saying nothing is left. */
	return w->st.valid && w->st.at_ms > w->state_ms && w->st.draining &&
	    w->st.inflight == 0 && w->st.jobs_running == 0;
}

/* Called every tick: moves every worker's action on. */
void
action_progress(struct ctld *c)
{
	struct worker	*w, *tw;
	int64_t		 now = clock_mono_ms();

	for (w = TAILQ_FIRST(&c->workers); w != NULL; w = tw) {
		tw = TAILQ_NEXT(w, entry);
		/* A worker that ignores SIGTERM too long. */
		if (w->state == WS_STOPPING && w->pid != 0 &&
		    now > w->op_deadline_ms) {
			log_warnx("%s: still running after SIGTERM: killing it",
			    w->id);
			kill(w->pid, SIGKILL);
			w->op_deadline_ms = now + 60000;
		}
		/* A remote worker that fell silent. */
		if (!w->local && lifecycle_allows(w->state, WE_SILENT) &&
		    now - (w->beat_ms != 0 ? w->beat_ms : w->state_ms) >
		    c->conf.ctld.heartbeat_timeout)
			lifecycle_apply(w, WE_SILENT, "no heartbeat", NULL);
		/* A worker up but missing from HAProxy, or left in
		 * maintenance by a step that failed. */
		if (c->lb_ok && w->state == WS_UP && w->op == OP_NONE &&
		    (!w->in_lb || strcmp(w->lb.status, "MAINT") == 0))
			lifecycle_apply(w, WE_RESYNC, NULL, NULL);
		if (w->state == WS_DRAINING && action_idle(w))
			lifecycle_apply(w, WE_IDLE, NULL, NULL);
		if (w->op == OP_REMOVE && w->state != WS_STOPPING &&
		    (w->state == WS_DRAINED || w->state == WS_DOWN ||
		    w->state == WS_FAILED || (!w->local && w->state ==
		    WS_STARTING) || now > w->op_deadline_ms))
			action_finish_remove(w);
	}
	action_rolling(c);
}
