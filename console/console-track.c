/*
 * console-track.c — following an action after ctld accepted it.
 *
 * ctld answers an admin command once the action has *started*; what
 * happens next is only visible in the status stream.  So the console
 * keeps the action and, on every status, tells how far it got (a drain
 * shows its in-flight requests and jobs counting down) until the worker
 * reaches the state the action aims at, fails, or disappears.
 */
#include <stdio.h>
#include <string.h>

#include "console-format.h"
#include "console-ui.h"
#include "ctl-fmt.h"

void
ui_command_sent(struct ui *ui, const struct ui_request *req, int64_t now_ms)
{
	struct ui_track	*t = &ui->track;

	memset(t, 0, sizeof *t);
	t->action = req->action;
	/* "all" (a rolling restart) concerns no single worker. */
	if (strcmp(req->arg, "all") != 0)
		snprintf(t->id, sizeof t->id, "%s", req->arg);
	t->sent = 1;
	t->since_ms = now_ms;
}

void
ui_command_result(struct ui *ui, const struct model *m, int ok,
    const char *worker, const char *error, int64_t now_ms)
{
	struct ui_track	*t = &ui->track;
	size_t		 i;

	t->sent = 0;
	if (!ok) {
		ui_message(ui, now_ms, ST_CRIT, "%s%s%s failed: %s",
		    confirm_verb(t->action), t->id[0] ? " " : "", t->id,
		    error != NULL ? error : "(no reason given)");
		t->action = ACT_NONE;
		return;
	}
	if (worker != NULL && worker[0] != '\0')
		snprintf(t->id, sizeof t->id, "%s", worker);
	t->since_ms = now_ms;
	if (t->action == ACT_RESTART) {
		t->nids = 0;
		for (i = 0; i < m->nworkers && t->nids < UI_TRACK_WORKERS;
		    i++) {
			snprintf(t->ids[t->nids], sizeof t->ids[0], "%s",
			    m->workers[i].id);
			t->restarts[t->nids++] = m->workers[i].restarts;
		}
	}
	ui->message[0] = '\0';
	ui_update(ui, m, now_ms);
}

/* Ends the tracked action with a last message. */
static void
ui_track_done(struct ui *ui, int64_t now_ms, enum style st, const char *text)
{
	char	 dur[FMT_SHORT];

	ctl_fmt_duration(dur, sizeof dur,
	    (double)(now_ms - ui->track.since_ms) / 1000.0);
	ui_message(ui, now_ms, st, "%s after %s", text, dur);
	ui->track.action = ACT_NONE;
}

/* A rolling restart is over when every worker it saw restarted once and
 * all are up again. */
static int
ui_restart_done(const struct ui *ui, const struct model *m, int *restarted)
{
	const struct model_worker	*w;
	int				 i, all = 1;

	*restarted = 0;
	for (i = 0; i < ui->track.nids; i++) {
		if ((w = model_worker_find(m, ui->track.ids[i])) == NULL)
			continue;
		if (w->restarts > ui->track.restarts[i] &&
		    strcmp(w->state, "up") == 0)
			(*restarted)++;
		else
			all = 0;
	}
	return all;
}

void
ui_update(struct ui *ui, const struct model *m, int64_t now_ms)
{
	const struct model_worker	*w;
	struct ui_track			*t = &ui->track;
	char				 text[160];
	int				 n;

	if (t->action == ACT_NONE || t->sent || !m->valid)
		return;
	if (now_ms - t->since_ms > UI_TRACK_MS) {
		t->action = ACT_NONE;
		return;
	}
	w = t->id[0] != '\0' ? model_worker_find(m, t->id) : NULL;
	snprintf(text, sizeof text, "%s %s", confirm_verb(t->action), t->id);
	if (w != NULL && strcmp(w->state, "failed") == 0) {
		snprintf(text, sizeof text, "%s %s: failed%s%s",
		    confirm_verb(t->action), t->id, w->last_error ? ": " : "",
		    w->last_error ? w->last_error : "");
		ui_track_done(ui, now_ms, ST_CRIT, text);
		return;
	}
	switch (t->action) {
	case ACT_ADD:
	case ACT_RESUME:
		if (w != NULL && strcmp(w->state, "up") == 0) {
			snprintf(text, sizeof text, "%s %s: up",
			    confirm_verb(t->action), t->id);
			ui_track_done(ui, now_ms, ST_OK, text);
		}
		break;
	case ACT_DRAIN:
		if (w != NULL && strcmp(w->state, "drained") == 0) {
			snprintf(text, sizeof text, "drain %s: drained", t->id);
			ui_track_done(ui, now_ms, ST_OK, text);
		}
		break;
	case ACT_REMOVE:
		if (w == NULL) {
			snprintf(text, sizeof text, "remove %s: removed",
			    t->id);
			ui_track_done(ui, now_ms, ST_OK, text);
		}
		break;
	case ACT_RESTART:
		if (ui_restart_done(ui, m, &n)) {
			snprintf(text, sizeof text, "restart: all %d workers "
			    "restarted and up", n);
			ui_track_done(ui, now_ms, ST_OK, text);
		}
		break;
	default:
		t->action = ACT_NONE;
		break;
	}
}

/* The progress of the tracked action, e.g. "drain w2: draining - 3 in
 * flight, 1 job". */
static void
ui_progress(const struct ui *ui, const struct model *m, int64_t now_ms,
    char *buf, size_t size)
{
	const struct model_worker	*w;
	const struct ui_track		*t = &ui->track;
	char				 dur[FMT_SHORT];
	int				 n;

	ctl_fmt_duration(dur, sizeof dur, (double)(now_ms - t->since_ms) / 1000);
	if (t->sent) {
		snprintf(buf, size, "%s%s%s: sent, waiting for ctld",
		    confirm_verb(t->action), t->id[0] ? " " : "", t->id);
		return;
	}
	if (t->action == ACT_RESTART) {
		ui_restart_done(ui, m, &n);
		snprintf(buf, size, "restart: %d of %d workers restarted "
		    "(%s)", n, t->nids, dur);
		return;
	}
	w = model_worker_find(m, t->id);
	if (w == NULL) {
		snprintf(buf, size, "%s %s: waiting for it to appear (%s)",
		    confirm_verb(t->action), t->id, dur);
		return;
	}
	if (w->inflight >= 0 || w->jobs_running >= 0)
		snprintf(buf, size, "%s %s: %s, %.0f in flight, %.0f job%s "
		    "running (%s)", confirm_verb(t->action), t->id, w->state,
		    w->inflight > 0 ? w->inflight : 0,
		    w->jobs_running > 0 ? w->jobs_running : 0,
		    w->jobs_running == 1 ? "" : "s", dur);
	else
		snprintf(buf, size, "%s %s: %s (%s)", confirm_verb(t->action),
		    t->id, w->state, dur);
}

enum style
ui_status_line(const struct ui *ui, const struct model *m, int64_t now_ms,
    char *buf, size_t size)
{
	buf[0] = '\0';
	if (ui->track.action != ACT_NONE) {
		ui_progress(ui, m, now_ms, buf, size);
		return ST_WARN;
	}
	if (ui->message[0] != '\0' && (ui->message_until == 0 ||
	    now_ms < ui->message_until)) {
		snprintf(buf, size, "%s", ui->message);
		return ui->message_style;
	}
	return ST_NORMAL;
}
