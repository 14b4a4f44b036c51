/*
 * console-batch.c — `pfo3-console --batch`: one `status`, one frame as
 * plain text on stdout, like `top -b`.  The frame is the screen's frame
 * with every worker, queue and event (no scrolling) and no colour.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "console-canvas.h"
#include "console-layout.h"
#include "status-model.h"
#include "console-render.h"
#include "console-ui.h"
#include "console-watch.h"
#include "console.h"
#include "ctl.h"

int
console_batch(const struct console_opts *o)
{
	struct ctl_client	*c;
	struct model		 m;
	struct ui		 ui;
	struct layout		 l;
	struct layout_need	 need;
	struct canvas		 cv = { 0, 0, NULL };
	struct render_ctx	 rc;
	json_t			*rep;
	char			*cause = NULL, *line;
	int			 row;

	if ((c = ctl_client_connect(o->socket, &cause)) == NULL) {
		fprintf(stderr, "pfo3-console: cannot connect to %s (%s): "
		    "%s\n", o->socket, o->socket_origin, cause);
		free(cause);
		return 3;
	}
	rep = ctl_client_call(c, "status", NULL, 0, WATCH_CALL_MS, &cause);
	ctl_client_close(c);
	if (rep == NULL) {
		fprintf(stderr, "pfo3-console: status: %s\n", cause);
		free(cause);
		return 3;
	}
	model_init(&m);
	if (model_apply(&m, rep, &cause) != 0) {
		fprintf(stderr, "pfo3-console: %s\n", cause);
		free(cause);
		json_decref(rep);
		return 1;
	}
	json_decref(rep);

	ui_init(&ui, m.interval_ms > 0 ? (int)m.interval_ms : o->interval_ms);
	ui.read_only = o->read_only;
	ui.read_only_why = "--read-only";
	memset(&rc, 0, sizeof rc);
	rc.sym = o->sym;
	rc.th = &o->th;
	rc.conn.connected = 1;
	rc.now_ms = clock_mono_ms();

	render_need(&m, &need);
	layout_compute(&l, 0, o->width, &need);
	canvas_resize(&cv, l.too_small ? 2 : l.rows, o->width);
	if (l.too_small)
		l.rows = 2;
	render_frame(&cv, &l, &m, &ui, &rc);
	for (row = 0; row < cv.rows; row++) {
		line = canvas_line(&cv, row);
		printf("%s\n", line);
		free(line);
	}
	canvas_free(&cv);
	model_clear(&m);
	return fflush(stdout) == 0 ? 0 : 1;
}
