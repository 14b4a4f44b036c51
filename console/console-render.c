/*
 * console-render.c — the frame: header, status and footer lines, and the
 * boxes drawn over it (help, confirmation, "terminal too small").
 */
#include <stdio.h>
#include <string.h>

#include "console-format.h"
#include "console-render.h"
#include "ctl-fmt.h"

void
render_need(const struct model *m, struct layout_need *need)
{
	size_t	 i;
	int	 w;

	memset(need, 0, sizeof *need);
	need->nworkers = m->nworkers;
	need->nqueues = m->nqueues;
	need->ndeps = m->ndeps;
	need->nevents = m->nevents;
	for (i = 0; i < m->nworkers; i++) {
		if ((w = canvas_width(m->workers[i].id)) > need->id_width)
			need->id_width = w;
		if ((w = canvas_width(m->workers[i].addr)) > need->addr_width)
			need->addr_width = w;
	}
}

/* Writes fields left to right on one row, with a separator between. */
struct pen {
	struct canvas		*c;
	const struct symbols	*sym;
	int			 row, x, end;
};

/* A field is written whole or not at all: a cut number would lie. */
static void
pen_field(struct pen *p, enum style st, const char *text)
{
	if (p->x + (p->x > 0 ? 3 : 0) + canvas_width(text) > p->end) {
		p->x = p->end;
		return;
	}
	if (p->x > 0 && p->x < p->end) {
		p->x += canvas_put(p->c, p->row, p->x, p->end - p->x,
		    ST_HEADER, " ");
		p->x += canvas_put(p->c, p->row, p->x, p->end - p->x,
		    ST_HEADER, p->sym->sep);
		p->x += canvas_put(p->c, p->row, p->x, p->end - p->x,
		    ST_HEADER, " ");
	}
	if (p->x < p->end)
		p->x += canvas_put(p->c, p->row, p->x, p->end - p->x, st,
		    text);
}

void
render_header(struct canvas *c, const struct layout *l,
    const struct model *m, const struct ui *ui, const struct render_ctx *rc)
{
	struct pen	 p = { c, rc->sym, 0, 0, l->cols };
	char		 buf[256], a[FMT_SHORT], b[FMT_SHORT];
	enum style	 st;
	int		 x;

	canvas_fill(c, 0, 0, l->cols, L' ', ST_HEADER);
	canvas_fill(c, 1, 0, l->cols, L' ', ST_NORMAL);

	pen_field(&p, ST_HEADER, "pfo3 console");
	if (m->valid) {
		snprintf(buf, sizeof buf, "ctld %s pid %s up %s",
		    m->ctld_version, ctl_fmt_int(b, sizeof b, m->ctld_pid),
		    ctl_fmt_duration(a, sizeof a, m->ctld_uptime_s));
		pen_field(&p, ST_HEADER, buf);
	}
	if (rc->conn.connected)
		pen_field(&p, ST_HEADER, "connected");
	else {
		snprintf(buf, sizeof buf, "disconnected %s retrying",
		    rc->sym->dash);
		pen_field(&p, ST_CRIT, buf);
	}
	snprintf(buf, sizeof buf, "every %.2g s%s", ui->interval_ms / 1000.0,
	    m->valid && m->interval_ms > 0 &&
	    (int)m->interval_ms != ui->interval_ms ? " (asked)" : "");
	pen_field(&p, ST_HEADER, buf);
	snprintf(buf, sizeof buf, "sort %s", ui_sort_name(ui->sort));
	pen_field(&p, ST_HEADER, buf);
	if (ui->filter[0] != '\0') {
		snprintf(buf, sizeof buf, "filter \"%s\"", ui->filter);
		pen_field(&p, ST_HEADER, buf);
	}
	if (ui->read_only)
		pen_field(&p, ST_WARN, "READ-ONLY");
	if (ui->paused)
		pen_field(&p, ST_WARN, "PAUSED");
	if (m->valid && p.x + 10 <= l->cols)
		canvas_put(c, 0, l->cols - 8, 8, ST_HEADER,
		    ctl_fmt_time(a, sizeof a, m->time, 0));

	/* Line 2: cluster totals, then the cluster's busy history. */
	p.row = 1;
	p.x = 0;
	if (!m->valid) {
		pen_field(&p, ST_DIM, "waiting for the first status from ctld");
		return;
	}
	snprintf(buf, sizeof buf, "workers %s/%s up",
	    ctl_fmt_count(a, sizeof a, m->workers_up),
	    ctl_fmt_count(b, sizeof b, m->workers_total));
	st = m->workers_up >= 0 && m->workers_up < m->workers_total ?
	    ST_WARN : ST_NORMAL;
	if (m->workers_total > 0 && m->workers_up == 0)
		st = ST_CRIT;
	pen_field(&p, st, buf);
	st = theme_busy(m->threads_busy, m->threads_total);
	snprintf(buf, sizeof buf, "threads %s/%s busy%s",
	    ctl_fmt_count(a, sizeof a, m->threads_busy),
	    ctl_fmt_count(b, sizeof b, m->threads_total), theme_mark(rc->sym, st));
	pen_field(&p, st == ST_OK ? ST_NORMAL : st, buf);
	snprintf(buf, sizeof buf, "req/s %s", ctl_fmt_rate(a, sizeof a, m->req_s));
	pen_field(&p, ST_NORMAL, buf);
	snprintf(buf, sizeof buf, "err/s %s%s",
	    ctl_fmt_rate(a, sizeof a, m->errors_s),
	    m->errors_s > 0 ? rc->sym->warn : "");
	pen_field(&p, m->errors_s > 0 ? ST_WARN : ST_NORMAL, buf);
	snprintf(buf, sizeof buf, "jobs queued %s",
	    ctl_fmt_count(a, sizeof a, m->jobs_queued));
	pen_field(&p, ST_NORMAL, buf);
	if (m->busy_hist.n > 0 && l->cols - p.x >= 8 + LAYOUT_SPARK_MIN) {
		char spark[MODEL_HISTORY * 4 + 1];

		pen_field(&p, ST_DIM, "busy");
		p.x++;
		x = l->cols - p.x;
		fmt_spark(spark, sizeof spark, rc->sym, &m->busy_hist,
		    m->threads_total, x > 60 ? 60 : x);
		canvas_put(c, 1, p.x, x, ST_OK, spark);
	}
}

/* The status line: the followed action, a message, or the link's state. */
static void
render_status(struct canvas *c, const struct layout *l,
    const struct model *m, const struct ui *ui, const struct render_ctx *rc)
{
	char		 buf[320];
	enum style	 st;

	st = ui_status_line(ui, m, rc->now_ms, buf, sizeof buf);
	if (buf[0] == '\0' && !rc->conn.connected) {
		snprintf(buf, sizeof buf, "disconnected %s retrying in %.1f s%s%s",
		    rc->sym->dash, rc->conn.retry_in_ms / 1000.0,
		    rc->conn.error ? ": " : "",
		    rc->conn.error ? rc->conn.error : "");
		st = ST_CRIT;
	}
	canvas_put(c, l->status_row, 0, l->cols, st, buf);
}

static void
render_footer(struct canvas *c, const struct layout *l, const struct ui *ui)
{
	char	 buf[256];

	if (ui->mode == UI_FILTER) {
		snprintf(buf, sizeof buf, "filter: %s_   (Enter applies, an "
		    "empty filter shows all, Esc cancels)", ui->edit);
		canvas_put(c, l->footer_row, 0, l->cols, ST_TITLE, buf);
		return;
	}
	key_hints(buf, sizeof buf, l->cols);
	canvas_put(c, l->footer_row, 0, l->cols, ST_DIM, buf);
}

/* A framed box of `n` lines centred on the canvas. */
static void
render_box(struct canvas *c, const char *title, char lines[][256], int n)
{
	int	 i, w = canvas_width(title) + 4, row, col;

	for (i = 0; i < n; i++)
		if (canvas_width(lines[i]) + 4 > w)
			w = canvas_width(lines[i]) + 4;
	if (w > c->cols)
		w = c->cols;
	row = (c->rows - n - 2) / 2;
	if (row < 0)
		row = 0;
	col = (c->cols - w) / 2;
	canvas_fill(c, row, col, w, L' ', ST_DIALOG);
	canvas_put(c, row, col + 2, w - 4, ST_DIALOG, title);
	for (i = 0; i < n; i++) {
		canvas_fill(c, row + 1 + i, col, w, L' ', ST_DIALOG);
		canvas_put(c, row + 1 + i, col + 2, w - 4, ST_DIALOG,
		    lines[i]);
	}
	canvas_fill(c, row + 1 + n, col, w, L' ', ST_DIALOG);
}

void
render_overlay(struct canvas *c, const struct ui *ui,
    const struct render_ctx *rc)
{
	char	 lines[40][256];
	size_t	 i, n;
	int	 k = 0;

	if (ui->mode == UI_CONFIRM) {
		snprintf(lines[k++], sizeof lines[0], "%s", ui->confirm_text);
		lines[k++][0] = '\0';
		snprintf(lines[k++], sizeof lines[0],
		    "y or Enter: do it        n or Esc: cancel");
		render_box(c, "Confirm", lines, k);
	} else if (ui->mode == UI_HELP) {
		/* Fits 24 rows: the keys, one line of notes, maybe one
		 * about read-only, and the frame. */
		n = key_help_count();
		for (i = 0; i < n && k < 36; i++)
			key_help_line(i, lines[k++], sizeof lines[0]);
		snprintf(lines[k++], sizeof lines[0], "pool busy %s at %d %%, "
		    "%s at %d %%; Esc clears a filter or a message",
		    rc->sym->warn, THEME_BUSY_WARN_PCT, rc->sym->crit,
		    THEME_BUSY_CRIT_PCT);
		if (ui->read_only)
			snprintf(lines[k++], sizeof lines[0], "read-only "
			    "(%s): [admin] keys only say why they do nothing",
			    ui->read_only_why ? ui->read_only_why :
			    "read-only");
		render_box(c, "pfo3-console keys (any key closes this help)",
		    lines, k);
	}
}

void
render_frame(struct canvas *c, const struct layout *l, const struct model *m,
    const struct ui *ui, const struct render_ctx *rc)
{
	char	 buf[160];

	canvas_clear(c);
	if (l->too_small) {
		snprintf(buf, sizeof buf, "terminal too small (%dx%d): the "
		    "console needs %dx%d", l->cols, l->rows, LAYOUT_MIN_COLS,
		    LAYOUT_MIN_ROWS);
		canvas_put(c, l->rows / 2, 0, l->cols, ST_WARN, buf);
		canvas_put(c, l->rows / 2 + 1, 0, l->cols, ST_DIM,
		    "q quits");
		return;
	}
	render_header(c, l, m, ui, rc);
	render_workers(c, l, m, ui, rc);
	render_queues(c, &l->queues, m, rc);
	render_deps(c, &l->deps, l->deps_compact, m, rc);
	render_events(c, &l->events, m);
	if (l->batch)
		return;
	render_status(c, l, m, ui, rc);
	render_footer(c, l, ui);
	render_overlay(c, ui, rc);
}
