/*
 * test-console-render.c — frames drawn from the fixed status: the
 * --batch text (every worker, queue, dependency and event; thresholds
 * as symbols; control characters neutralised), the same in ASCII, the
 * 80×24 screen with its footer, 64 workers scrolling, the help and
 * confirmation boxes, "terminal too small", and the canvas's handling
 * of wide characters at the edge.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "console-canvas.h"
#include "console-fixture.h"
#include "console-layout.h"
#include "status-model.h"
#include "console-render.h"
#include "console-theme.h"
#include "console-ui.h"
#include "tap.h"

static const struct thresholds th = { 100, 1000 };

struct frame {
	struct canvas	 cv;
	struct layout	 l;
	char		*text;		/* every line, '\n' after each */
};

/* Renders `m` at rows × cols (rows 0: batch). */
static void
frame(struct frame *f, const struct model *m, struct ui *ui, int rows,
    int cols, const struct symbols *sym, int connected)
{
	struct layout_need	 need;
	struct render_ctx	 rc;
	size_t			 len = 0;
	char			*line;
	int			 r;

	memset(&rc, 0, sizeof rc);
	rc.sym = sym;
	rc.th = &th;
	rc.conn.connected = connected;
	rc.conn.error = connected ? NULL : "connect: No such file or directory";
	rc.conn.retry_in_ms = 1000;
	rc.now_ms = 1000;
	render_need(m, &need);
	layout_compute(&f->l, rows, cols, &need);
	memset(&f->cv, 0, sizeof f->cv);
	canvas_resize(&f->cv, f->l.too_small ? rows : f->l.rows, cols);
	render_frame(&f->cv, &f->l, m, ui, &rc);
	f->text = calloc(1, 1);
	for (r = 0; r < f->cv.rows; r++) {
		line = canvas_line(&f->cv, r);
		f->text = realloc(f->text, len + strlen(line) + 2);
		memcpy(f->text + len, line, strlen(line));
		len += strlen(line);
		f->text[len++] = '\n';
		f->text[len] = '\0';
		free(line);
	}
}

static void
frame_free(struct frame *f)
{
	canvas_free(&f->cv);
	free(f->text);
}

/* The line of the frame that contains `needle`, or "" (static buffer). */
static const char *
line_with(const struct frame *f, const char *needle)
{
	static char	 buf[4096];
	const char	*p = strstr(f->text, needle), *s, *e;

	if (p == NULL)
		return "";
	for (s = p; s > f->text && s[-1] != '\n'; s--)
		;
	e = strchr(p, '\n');
	snprintf(buf, sizeof buf, "%.*s", (int)(e - s), s);
	return buf;
}

/* Row index of the first line containing needle, or -1. */
static int
row_with(const struct frame *f, const char *needle)
{
	char	*line;
	int	 r;

	for (r = 0; r < f->cv.rows; r++) {
		line = canvas_line(&f->cv, r);
		if (strstr(line, needle) != NULL) {
			free(line);
			return r;
		}
		free(line);
	}
	return -1;
}

static int
contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static void
test_batch(void)
{
	struct model	 m;
	struct ui	 ui;
	struct frame	 f;
	const char	*l;
	int		 r1, r2, r3, r10;

	fixture_model(&m);
	ui_init(&ui, 1000);
	frame(&f, &m, &ui, 0, 132, &symbols_utf8, 1);
	tap_diag("the batch frame:\n%s", f.text);
	l = line_with(&f, "workers ");
	tap_ok(contains(l, "workers 2/4 up") && contains(l, "threads 9/20 "
	    "busy") && contains(l, "req/s 16.0") && contains(l, "err/s 1.5") &&
	    contains(l, "jobs queued 1352"), "header totals: %s", l);
	tap_ok(contains(f.text, "ctld 0.1.0 pid 4321 up 1h02m") &&
	    contains(f.text, "connected") && contains(f.text, "every 1 s"),
	    "header: ctld, link, interval");
	r1 = row_with(&f, " w1 ");
	r2 = row_with(&f, " w2 ");
	r3 = row_with(&f, " w3 ");
	r10 = row_with(&f, " w10 ");
	tap_ok(r1 > 0 && r1 < r2 && r2 < r3 && r3 < r10,
	    "workers by id, numbers as numbers: w1 w2 w3 w10");
	l = line_with(&f, " w1 ");
	tap_ok(contains(l, "127.0.0.1:8001") && contains(l, " up ") &&
	    contains(l, "UP") && contains(l, "4/5\u25b2") &&
	    contains(l, "12.5") && contains(l, "1.25") && contains(l, "48.0"),
	    "w1: address, up, UP, 4/5 busy with the 80 %% mark, rates: %s",
	    l);
	tap_ok(contains(l, "\u2588\u2588\u2588\u2588\u2591"),
	    "w1: a pool bar of 4 of 5 cells");
	tap_ok(contains(l, "\u2581\u2582\u2584\u2585\u2587\u2588\u2588\u2587"),
	    "w1: the sparkline of 0 1 2 3 4 5 5 4 busy threads");
	l = line_with(&f, " w2 ");
	tap_ok(contains(l, "draining") && contains(l, "DRAIN") &&
	    contains(l, "5/5\u2716") && contains(l, "64\u2716") &&
	    contains(l, "1500") && contains(l, "1.5\u25b2"),
	    "w2: draining, full pool and full queue marked, p99 1500 ms, "
	    "errors marked: %s", l);
	l = line_with(&f, " w10 ");
	tap_ok(contains(l, "failed") && contains(l, "DOWN") &&
	    contains(l, "   4"), "w10: failed, DOWN, 4 restarts: %s", l);
	tap_ok(contains(line_with(&f, " w3 "), "10.0.0.7:8001"),
	    "w3: a remote address");
	tap_ok(contains(line_with(&f, " w3 "), " up -smtp "),
	    "w3: up, its degraded dependency beside the state: %s",
	    line_with(&f, " w3 "));

	tap_is_int(f.cv.rows, 2 + 5 + 5 + 4, "batch: 16 lines "
	    "(deps beside queues at 132 columns)");
	frame_free(&f);

	/* Queues and dependencies one above the other, for line checks. */
	frame(&f, &m, &ui, 0, 100, &symbols_utf8, 1);
	tap_ok(contains(line_with(&f, "pfo3.jobs.report"), "150") &&
	    contains(line_with(&f, "pfo3.jobs.report"), "\u25b2"),
	    "report queue: 150 ready, over queue_warn");
	tap_ok(contains(line_with(&f, "pfo3.jobs.task"), "1200") &&
	    contains(line_with(&f, "pfo3.jobs.task"), "\u2716"),
	    "task queue: 1200 ready, over queue_crit");
	tap_ok(!contains(line_with(&f, "pfo3.jobs.thumbnail"), "\u25b2") &&
	    !contains(line_with(&f, "pfo3.jobs.thumbnail"), "\u2716"),
	    "empty queue: no mark");
	tap_ok(contains(line_with(&f, "pfo3.jobs.dead"), "dead letters"),
	    "dead-letter queue with messages: highlighted");
	l = line_with(&f, "s3  ");
	tap_ok(contains(l, "\u2716 down") && contains(l,
	    "connect: Connection refused"), "s3: down with its error: %s", l);
	tap_ok(contains(line_with(&f, "postgres"), "\u2714 up") &&
	    contains(line_with(&f, "postgres"), "0.40ms") &&
	    contains(line_with(&f, "postgres"), "connections 5/100"),
	    "postgres: up, latency, connections");
	tap_ok(contains(f.text, "w2 draining (worker.drain by uid 0)") &&
	    contains(f.text, "\u6ce8\u610f wide text"),
	    "events, wide characters included");
	tap_ok(!contains(f.text, "\x1b") && contains(f.text,
	    "exited with status 1 ?[2J"),
	    "an escape character in an event is shown as ?");
	tap_ok(!contains(f.text, "a add"), "batch: no key hints");
	frame_free(&f);

	frame(&f, &m, &ui, 0, 80, &symbols_ascii, 1);
	tap_ok(contains(line_with(&f, " w2 "), "5/5X") &&
	    contains(line_with(&f, " w1 "), "4/5!") &&
	    contains(line_with(&f, " w1 "), "####."),
	    "ASCII symbols: marks and bars");
	tap_ok(contains(line_with(&f, "s3  "), "X down") &&
	    contains(line_with(&f, "postgres"), "+ up"),
	    "ASCII: dependencies up and down");
	l = line_with(&f, " w2 ");
	r1 = 1;
	for (; *l != '\0'; l++)
		if ((unsigned char)*l >= 0x80)
			r1 = 0;
	tap_ok(r1, "ASCII: worker rows are pure ASCII");
	tap_ok(!contains(f.text, "ADDRESS"), "80 columns: no address column");
	frame_free(&f);
	model_clear(&m);
}

static void
test_screen(void)
{
	struct model	 m;
	struct ui	 ui;
	struct frame	 f;
	json_t		*st;
	char		*cause = NULL, *line;
	int		 r, fits = 1;

	fixture_model(&m);
	ui_init(&ui, 1000);
	ui.page = 3;
	ui_fix_selection(&ui, &m);
	frame(&f, &m, &ui, 24, 80, &symbols_utf8, 1);
	tap_diag("80x24:\n%s", f.text);
	for (r = 0; r < f.cv.rows; r++) {
		line = canvas_line(&f.cv, r);
		if (canvas_width(line) > 80)
			fits = 0;
		free(line);
	}
	tap_ok(fits && f.cv.rows == 24, "80x24: 24 lines of at most 80 "
	    "columns");
	line = canvas_line(&f.cv, 23);
	tap_ok(contains(line, "q quit") && contains(line, "? help"),
	    "footer: key hints from the table: %s", line);
	free(line);
	tap_ok(contains(line_with(&f, " w1 "), "\u25b6 w1"),
	    "the selected worker is marked");
	tap_is_int(canvas_style_at(&f.cv, row_with(&f, " w1 "), 40), ST_SELECT,
	    "the selected row is highlighted");
	tap_ok(contains(f.text, "DEPS postgres \u2714"),
	    "80x24: dependencies on one line");
	tap_ok(!contains(f.text, " of 4"), "all 4 workers fit: no range shown");
	frame_free(&f);

	frame(&f, &m, &ui, 24, 80, &symbols_utf8, 0);
	tap_ok(contains(f.text, "disconnected \u2014 retrying"),
	    "disconnected: the header says it");
	tap_ok(contains(f.text, "disconnected \u2014 retrying in 1.0 s: "
	    "connect: No such file"), "and the status line says why");
	tap_ok(contains(f.text, " w1 "), "the last data stays on screen");
	frame_free(&f);

	ui.mode = UI_CONFIRM;
	snprintf(ui.confirm_text, sizeof ui.confirm_text,
	    "remove w2: leaves 2 workers, 10 threads");
	frame(&f, &m, &ui, 24, 80, &symbols_utf8, 1);
	tap_ok(contains(f.text, "Confirm") && contains(f.text,
	    "remove w2: leaves 2 workers, 10 threads") &&
	    contains(f.text, "y or Enter: do it"), "the confirmation box");
	frame_free(&f);

	ui.mode = UI_HELP;
	ui.read_only = 1;
	ui.read_only_why = "--read-only";
	frame(&f, &m, &ui, 24, 80, &symbols_utf8, 1);
	tap_ok(contains(f.text, "a        add a local worker, asks first "
	    "[admin]") && contains(f.text, "q        quit the console") &&
	    contains(f.text, "read-only (--read-only)"),
	    "the help box: every key, and why actions are off");
	tap_ok(contains(f.text, "select the worker above") &&
	    contains(f.text, "redraw the whole screen"),
	    "the help box fits 24 rows: first and last keys visible");
	frame_free(&f);
	ui.mode = UI_NORMAL;

	frame(&f, &m, &ui, 20, 60, &symbols_utf8, 1);
	tap_ok(contains(f.text, "terminal too small (60x20)"),
	    "60x20: terminal too small");
	frame_free(&f);
	model_clear(&m);

	st = fixture_many(64);
	model_init(&m);
	model_apply(&m, st, &cause);
	json_decref(st);
	ui_init(&ui, 1000);
	ui.page = 11;
	ui_fix_selection(&ui, &m);
	for (r = 0; r < 40; r++)
		ui_key(&ui, &m, 'j', 1000, &(struct ui_request){ 0 });
	frame(&f, &m, &ui, 24, 80, &symbols_utf8, 1);
	tap_ok(contains(f.text, "\u25b6 w41") && !contains(f.text, " w1 "),
	    "64 workers: the table scrolls to the selection (w41)");
	tap_ok(contains(f.text, " of 64"), "and says which part is shown");
	tap_ok(contains(f.text, "workers 64/64 up") &&
	    contains(f.text, "threads 128/320 busy"), "64 workers: totals");
	frame_free(&f);
	model_clear(&m);
}

static void
test_canvas(void)
{
	struct canvas	 c = { 0, 0, NULL };
	char		*line;

	canvas_resize(&c, 2, 10);
	tap_is_int(canvas_width("\u6ce8\u610f"), 4, "two CJK characters: 4 "
	    "columns");
	tap_is_int(canvas_put(&c, 0, 7, -1, ST_NORMAL, "ab\u6ce8"), 2,
	    "a wide character that would cross the edge is not drawn");
	line = canvas_line(&c, 0);
	tap_is_str(line, "       ab", "only what fits");
	free(line);
	canvas_put(&c, 1, 0, -1, ST_NORMAL, "\u6ce8\u610f");
	canvas_put(&c, 1, 1, 1, ST_NORMAL, "x");
	line = canvas_line(&c, 1);
	tap_is_str(line, " x\u610f", "overwriting half a wide character blanks "
	    "the other half");
	free(line);
	canvas_clear(&c);
	canvas_put(&c, 0, 0, -1, ST_NORMAL, "a\tb\x01\xff");
	line = canvas_line(&c, 0);
	tap_is_str(line, "a?b??", "tabs, control bytes and invalid UTF-8: ?");
	free(line);
	canvas_free(&c);
}

int
main(void)
{
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		tap_diag("no C.UTF-8 locale: wide characters untested");
	test_batch();
	test_screen();
	test_canvas();
	return tap_done();
}
