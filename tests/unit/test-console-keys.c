/*
 * test-console-keys.c — the key table and what keys do: the help screen
 * and footer made from the table, selection by id across sorts and
 * filters, confirmations with their impact, read-only refusals, one
 * action at a time, and following an action to its end.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "console-canvas.h"
#include "console-fixture.h"
#include "console-keys.h"
#include "status-model.h"
#include "console-ui.h"
#include "tap.h"

static void
test_table(void)
{
	const struct key_binding	*b;
	char				 line[256], hints[256];
	size_t				 i, n = 0;
	int				 k, dup = 0, fits = 1, named = 1;
	static const enum action	 all[] = { ACT_UP, ACT_DOWN, ACT_ADD,
	    ACT_DRAIN, ACT_RESUME, ACT_REMOVE, ACT_RESTART, ACT_SORT,
	    ACT_FILTER, ACT_PAUSE, ACT_FASTER, ACT_SLOWER, ACT_HELP,
	    ACT_QUIT };

	for (b = key_table; b->action != ACT_NONE; b++) {
		n++;
		for (k = 0; k < 4 && b->keys[k] != 0; k++)
			if (key_lookup(b->keys[k]) != b)
				dup = 1;
	}
	tap_ok(!dup, "no key is bound twice");
	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (key_for_action(all[i]) == NULL)
			named = 0;
	tap_ok(named, "every action of the issue has a key");
	tap_ok(key_lookup('j') == key_lookup(KEY_DOWN) &&
	    key_lookup('j')->action == ACT_DOWN, "j and Down select below");
	tap_ok(key_lookup('k') == key_lookup(KEY_UP) &&
	    key_lookup('k')->action == ACT_UP, "k and Up select above");
	tap_ok(key_lookup('a')->action == ACT_ADD &&
	    key_lookup('d')->action == ACT_DRAIN &&
	    key_lookup('r')->action == ACT_RESUME &&
	    key_lookup('x')->action == ACT_REMOVE &&
	    key_lookup('R')->action == ACT_RESTART &&
	    key_lookup('s')->action == ACT_SORT &&
	    key_lookup('/')->action == ACT_FILTER &&
	    key_lookup('p')->action == ACT_PAUSE &&
	    key_lookup('+')->action == ACT_FASTER &&
	    key_lookup('-')->action == ACT_SLOWER &&
	    key_lookup('q')->action == ACT_QUIT &&
	    key_lookup('?')->action == ACT_HELP,
	    "a d r x R s / p + - q ? do what the issue says");
	tap_ok(key_lookup('z') == NULL && key_lookup(0) == NULL,
	    "unbound keys: NULL");
	tap_ok((key_lookup('d')->flags & (KEY_ADMIN | KEY_WORKER |
	    KEY_CONFIRM)) == (KEY_ADMIN | KEY_WORKER | KEY_CONFIRM),
	    "d: admin, on the selected worker, asks first");
	tap_ok((key_lookup('r')->flags & KEY_CONFIRM) == 0,
	    "r does not ask (resuming harms nothing)");
	tap_ok((key_lookup('s')->flags & KEY_ADMIN) == 0,
	    "s works read-only");

	tap_is_int((long long)key_help_count(), (long long)n,
	    "one help line per table row");
	for (i = 0; i < key_help_count(); i++) {
		key_help_line(i, line, sizeof line);
		if (canvas_width(line) > 76)
			fits = 0;
		if (strstr(line, key_table[i].label) == NULL ||
		    strstr(line, key_table[i].help) == NULL)
			named = 0;
		if (!!(key_table[i].flags & KEY_ADMIN) !=
		    (strstr(line, "[admin]") != NULL))
			named = 0;
	}
	tap_ok(fits, "every help line fits in the 80-column help box");
	tap_ok(named, "help lines show label, help and [admin] from the "
	    "table");
	key_hints(hints, sizeof hints, 80);
	tap_ok(canvas_width(hints) <= 80 && strstr(hints, "? help") &&
	    strstr(hints, "q quit") && strstr(hints, "d drain"),
	    "footer hints fit 80 columns with help, quit and drain: %s",
	    hints);
	key_hints(hints, sizeof hints, 20);
	tap_ok(canvas_width(hints) <= 20, "hints cut to 20 columns: %s",
	    hints);
}

/* Presses `keys` in order; returns the last request. */
static struct ui_request
press(struct ui *ui, const struct model *m, const char *keys)
{
	struct ui_request	 req;

	memset(&req, 0, sizeof req);
	for (; *keys != '\0'; keys++)
		ui_key(ui, m, *keys == '\n' ? '\r' : *keys, 1000, &req);
	return req;
}

static void
test_selection(void)
{
	struct model		 m;
	struct ui		 ui;
	struct ui_request	 req;
	size_t			 idx[8], n;

	fixture_model(&m);
	ui_init(&ui, 1000);
	ui.page = 10;
	ui_fix_selection(&ui, &m);
	tap_is_str(ui.sel_id, "w1", "first selection: w1 (w1 < w2 < w3 < "
	    "w10, by number)");
	press(&ui, &m, "j");
	tap_is_str(ui.sel_id, "w2", "j: w2");
	press(&ui, &m, "jjjj");
	tap_is_str(ui.sel_id, "w10", "j at the end stays on the last");
	press(&ui, &m, "k");
	tap_is_str(ui.sel_id, "w3", "k: w3");
	press(&ui, &m, "g");
	tap_is_str(ui.sel_id, "w1", "g: the first");

	press(&ui, &m, "s");
	tap_is_int(ui.sort, SORT_STATE, "s: sort by state");
	n = ui_view(&ui, &m, idx, 8);
	tap_ok(n == 4 && !strcmp(m.workers[idx[0]].id, "w10") &&
	    !strcmp(m.workers[idx[1]].id, "w2"),
	    "by state: failed first, then draining");
	tap_is_str(ui.sel_id, "w1", "the selection stays on w1 after a sort");
	press(&ui, &m, "s");
	n = ui_view(&ui, &m, idx, 8);
	tap_ok(ui.sort == SORT_BUSY && !strcmp(m.workers[idx[0]].id, "w2"),
	    "s again: by busy, the full pool first");

	press(&ui, &m, "/w1\n");
	n = ui_view(&ui, &m, idx, 8);
	tap_ok(n == 2 && !strcmp(ui.filter, "w1"), "filter w1: w1 and w10");
	press(&ui, &m, "/");
	tap_is_int(ui.mode, UI_FILTER, "/ opens the filter prompt");
	ui_key(&ui, &m, KEY_BACKSPACE, 1000, &req);
	ui_key(&ui, &m, KEY_BACKSPACE, 1000, &req);
	press(&ui, &m, "DRAIN\n");
	n = ui_view(&ui, &m, idx, 8);
	tap_ok(n == 1 && !strcmp(m.workers[idx[0]].id, "w2"),
	    "filter by state, any case: w2");
	tap_is_str(ui.sel_id, "w2", "the selection moves into the filter");
	ui_key(&ui, &m, 27, 1000, &req);
	tap_ok(ui.filter[0] == '\0' && ui_view(&ui, &m, idx, 8) == 4,
	    "Esc clears the filter");

	req = press(&ui, &m, "+");
	tap_ok(req.what == REQ_INTERVAL && ui.interval_ms == 500,
	    "+: the interval halves, a new stream is asked");
	press(&ui, &m, "++++");
	tap_is_int(ui.interval_ms, UI_INTERVAL_MIN, "+ stops at 250 ms");
	press(&ui, &m, "---------");
	tap_is_int(ui.interval_ms, UI_INTERVAL_MAX, "- stops at 60 s");
	press(&ui, &m, "p");
	tap_ok(ui.paused, "p pauses");
	press(&ui, &m, "p");
	tap_ok(!ui.paused, "p again goes on");
	press(&ui, &m, "?");
	tap_is_int(ui.mode, UI_HELP, "? shows help");
	req = press(&ui, &m, "x");
	tap_ok(ui.mode == UI_NORMAL && req.what == REQ_NONE,
	    "any key closes help and does nothing else");
	req = press(&ui, &m, "q");
	tap_is_int(req.what, REQ_QUIT, "q quits");
	model_clear(&m);
}

static void
test_actions(void)
{
	struct model		 m;
	struct ui		 ui;
	struct ui_request	 req;
	char			 line[256];

	fixture_model(&m);
	ui_init(&ui, 1000);
	ui.page = 10;
	ui_fix_selection(&ui, &m);
	press(&ui, &m, "j");
	req = press(&ui, &m, "d");
	tap_ok(req.what == REQ_NONE && ui.mode == UI_CONFIRM,
	    "d asks before draining");
	tap_is_str(ui.confirm_text, "drain w2: leaves 2 workers, 10 threads "
	    "serving", "the impact of draining w2");
	req = press(&ui, &m, "n");
	tap_ok(req.what == REQ_NONE && ui.mode == UI_NORMAL &&
	    strstr(ui.message, "cancelled") != NULL, "n cancels, and says so");
	req = press(&ui, &m, "dy");
	tap_ok(req.what == REQ_COMMAND && !strcmp(req.cmd, "worker.drain") &&
	    !strcmp(req.arg, "w2"), "d y: worker.drain w2");

	press(&ui, &m, "k");
	press(&ui, &m, "x");
	tap_is_str(ui.confirm_text, "remove w1: leaves 1 worker, 5 threads",
	    "the impact of removing w1");
	req = press(&ui, &m, "\n");
	tap_ok(req.what == REQ_COMMAND && !strcmp(req.cmd, "worker.remove") &&
	    !strcmp(req.arg, "w1"), "x Enter: worker.remove w1");

	press(&ui, &m, "a");
	tap_is_str(ui.confirm_text, "add a worker: 3 workers, 15 threads "
	    "serving once it is up", "the impact of adding");
	req = press(&ui, &m, "y");
	tap_ok(req.what == REQ_COMMAND && !strcmp(req.cmd, "worker.add") &&
	    req.arg[0] == '\0', "a y: worker.add without arguments");

	press(&ui, &m, "R");
	tap_ok(strstr(ui.confirm_text, "restart all 4 workers one at a time")
	    != NULL, "R says it restarts all 4, one at a time: %s",
	    ui.confirm_text);
	req = press(&ui, &m, "y");
	tap_ok(req.what == REQ_COMMAND && !strcmp(req.cmd, "worker.restart") &&
	    !strcmp(req.arg, "all"), "R y: worker.restart all");

	req = press(&ui, &m, "r");
	tap_ok(req.what == REQ_COMMAND && !strcmp(req.cmd, "worker.resume") &&
	    !strcmp(req.arg, "w1"), "r: worker.resume at once");

	/* One action at a time. */
	ui_command_sent(&ui, &req, 1000);
	req = press(&ui, &m, "d");
	tap_ok(req.what == REQ_NONE && strstr(ui.message, "waiting") != NULL,
	    "a second action waits for ctld's answer to the first");

	/* Read-only: the keys explain. */
	ui.track.action = ACT_NONE;
	ui.read_only = 1;
	ui.read_only_why = "the read-only socket";
	req = press(&ui, &m, "d");
	tap_ok(req.what == REQ_NONE && ui.mode == UI_NORMAL &&
	    strstr(ui.message, "read-only (the read-only socket)") != NULL,
	    "read-only: d does nothing and says why");
	ui_status_line(&ui, &m, 1000, line, sizeof line);
	tap_ok(strstr(line, "admin socket") != NULL,
	    "the status line tells to use the admin socket: %s", line);
	req = press(&ui, &m, "j");
	tap_is_str(ui.sel_id, "w2", "read-only: selection still works");
	model_clear(&m);
}

/* Sets one worker's fields in the fixture, as a later status would. */
static void
reapply(struct model *m, const char *id, const char *state, int inflight)
{
	json_t	*st = fixture_status(), *w;
	char	*cause = NULL;
	size_t	 i;

	json_array_foreach(json_object_get(st, "workers"), i, w)
		if (!strcmp(json_string_value(json_object_get(w, "id")), id)) {
			json_object_set_new(w, "state", json_string(state));
			json_object_set_new(w, "inflight",
			    json_integer(inflight));
		}
	model_apply(m, st, &cause);
	json_decref(st);
}

static void
test_tracking(void)
{
	struct model		 m;
	struct ui		 ui;
	struct ui_request	 req;
	char			 line[256];
	enum style		 st;

	fixture_model(&m);
	ui_init(&ui, 1000);
	memset(&req, 0, sizeof req);
	req.what = REQ_COMMAND;
	req.action = ACT_DRAIN;
	snprintf(req.arg, sizeof req.arg, "w2");
	ui_command_sent(&ui, &req, 1000);
	ui_status_line(&ui, &m, 1000, line, sizeof line);
	tap_is_str(line, "drain w2: sent, waiting for ctld",
	    "sent: waiting for ctld");
	ui_command_result(&ui, &m, 1, "w2", NULL, 1100);
	ui_status_line(&ui, &m, 2100, line, sizeof line);
	tap_is_str(line, "drain w2: draining, 3 in flight, 2 jobs running "
	    "(1s)", "accepted: in-flight requests and jobs shown");
	reapply(&m, "w2", "draining", 1);
	ui_update(&ui, &m, 3100);
	ui_status_line(&ui, &m, 3100, line, sizeof line);
	tap_ok(strstr(line, "1 in flight") != NULL, "counting down: %s", line);
	reapply(&m, "w2", "drained", 0);
	ui_update(&ui, &m, 5100);
	st = ui_status_line(&ui, &m, 5100, line, sizeof line);
	tap_ok(ui.track.action == ACT_NONE && st == ST_OK &&
	    !strcmp(line, "drain w2: drained after 4s"),
	    "drained: the result and the time it took: %s", line);
	ui_status_line(&ui, &m, 5100 + UI_MESSAGE_MS, line, sizeof line);
	tap_is_str(line, "", "the result goes away after a while");

	req.action = ACT_REMOVE;
	ui_command_sent(&ui, &req, 6000);
	ui_command_result(&ui, &m, 0, NULL, "worker w2 is not drained",
	    6100);
	st = ui_status_line(&ui, &m, 6100, line, sizeof line);
	tap_ok(st == ST_CRIT && !strcmp(line,
	    "remove w2 failed: worker w2 is not drained"),
	    "a refused action shows ctld's error: %s", line);

	req.action = ACT_ADD;
	req.arg[0] = '\0';
	ui_command_sent(&ui, &req, 7000);
	ui_command_result(&ui, &m, 1, "w9", NULL, 7100);
	ui_status_line(&ui, &m, 7100, line, sizeof line);
	tap_ok(strstr(line, "add w9: waiting for it to appear") != NULL,
	    "add: follows the id ctld gave: %s", line);
	reapply(&m, "w10", "up", 0);	/* not w9: nothing changes */
	ui_update(&ui, &m, 8000);
	tap_is_int(ui.track.action, ACT_ADD, "add: still followed");
	model_clear(&m);
}

int
main(void)
{
	test_table();
	test_selection();
	test_actions();
	test_tracking();
	return tap_done();
}
