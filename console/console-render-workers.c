/*
 * console-render-workers.c — the workers table: one row per worker with
 * its state, HAProxy status, pool bar, queue, rates, latencies and the
 * sparkline of its busy threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console-format.h"
#include "console-render.h"

/* One cell of column `col` on row `row`, right-aligned when `right`. */
static void
render_cell(struct canvas *c, const struct layout *l, int row,
    enum wcol col, int right, enum style st, const char *text)
{
	int	 x = l->col_x[col], w = l->col_w[col], tw;

	if (x < 0)
		return;
	tw = canvas_width(text);
	if (right && tw < w)
		x += w - tw;
	canvas_put(c, row, x, l->col_x[col] + w - x, st, text);
}

static void
render_titles(struct canvas *c, const struct layout *l, size_t first,
    size_t shown, size_t total)
{
	static const int right[WC_NCOLS] = {
		[WC_QUEUE] = 1, [WC_REQ] = 1, [WC_P50] = 1, [WC_P99] = 1,
		[WC_ERR] = 1, [WC_RST] = 1,
	};
	char	 buf[64];
	int	 i;

	canvas_fill(c, l->workers.row, 0, l->cols, L' ', ST_TITLE);
	for (i = 0; i < WC_NCOLS; i++)
		render_cell(c, l, l->workers.row, i, right[i], ST_TITLE,
		    i == WC_SPARK && l->col_w[i] < canvas_width(
		    layout_col_title(i)) ? "BUSY" : layout_col_title(i));
	if (shown < total) {
		/* Not all fit: say which part is on screen. */
		snprintf(buf, sizeof buf, " %zu-%zu of %zu", first + 1,
		    first + shown, total);
		canvas_put(c, l->workers.row, l->cols - canvas_width(buf),
		    -1, ST_TITLE, buf);
	}
}

static void
render_worker(struct canvas *c, const struct layout *l, int row,
    const struct model_worker *w, int selected, const struct render_ctx *rc)
{
	char		 a[FMT_SHORT], buf[MODEL_HISTORY * 4 + 1];
	char		*down;
	enum style	 st;
	int		 x;

	if (selected) {
		canvas_fill(c, row, 0, l->cols, L' ', ST_SELECT);
		canvas_put(c, row, 0, 1, ST_SELECT, rc->sym->select);
	}
	render_cell(c, l, row, WC_ID, 0, selected ? ST_SELECT : ST_NORMAL,
	    w->id);
	render_cell(c, l, row, WC_ADDR, 0, selected ? ST_SELECT : ST_DIM,
	    w->addr);
	/* "up -s3": up, but what needs S3 answers 503 there. */
	if ((down = model_degraded(w, ",")) != NULL) {
		snprintf(buf, sizeof buf, "%s -%s", w->state, down);
		render_cell(c, l, row, WC_STATE, 0, ST_WARN, buf);
		free(down);
	} else
		render_cell(c, l, row, WC_STATE, 0, theme_state(w->state),
		    w->state);
	render_cell(c, l, row, WC_LB, 0, theme_lb(w->lb_status),
	    w->lb_status[0] ? w->lb_status : "-");

	if ((x = l->col_x[WC_POOL]) >= 0) {
		/* "█████ 5/5✖": bar, busy/total, threshold mark. */
		st = theme_busy(w->busy, w->threads);
		fmt_bar(buf, sizeof buf, rc->sym, w->busy, w->threads, 5);
		canvas_put(c, row, x, 5, st, buf);
		ctl_fmt_ratio(buf, sizeof buf, w->busy, w->threads);
		canvas_printf(c, row, x + 6, 5, selected ? ST_SELECT :
		    ST_NORMAL, "%5s", buf);
		canvas_put(c, row, x + 11, 1, st, theme_mark(rc->sym, st));
	}
	st = theme_busy(w->queue, w->queue_cap);
	snprintf(buf, sizeof buf, "%s%s", ctl_fmt_count(a, sizeof a, w->queue),
	    theme_mark(rc->sym, st));
	render_cell(c, l, row, WC_QUEUE, 1, st == ST_OK ? (selected ?
	    ST_SELECT : ST_NORMAL) : st, buf);

	st = selected ? ST_SELECT : ST_NORMAL;
	render_cell(c, l, row, WC_REQ, 1, st, ctl_fmt_rate(a, sizeof a, w->req_s));
	render_cell(c, l, row, WC_P50, 1, st, ctl_fmt_ms(a, sizeof a, w->p50));
	render_cell(c, l, row, WC_P99, 1, st, ctl_fmt_ms(a, sizeof a, w->p99));
	snprintf(buf, sizeof buf, "%s%s", ctl_fmt_rate(a, sizeof a, w->errors_s),
	    w->errors_s > 0 ? rc->sym->warn : "");
	render_cell(c, l, row, WC_ERR, 1, w->errors_s > 0 ? ST_WARN : st, buf);
	render_cell(c, l, row, WC_RST, 1, w->restarts > 0 ? ST_WARN : st,
	    ctl_fmt_count(a, sizeof a, w->restarts));
	if (l->col_x[WC_SPARK] >= 0) {
		fmt_spark(buf, sizeof buf, rc->sym, &w->busy_hist, w->threads,
		    l->col_w[WC_SPARK]);
		render_cell(c, l, row, WC_SPARK, 0, selected ? ST_SELECT :
		    ST_OK, buf);
	}
}

void
render_workers(struct canvas *c, const struct layout *l,
    const struct model *m, const struct ui *ui, const struct render_ctx *rc)
{
	size_t	*idx, n, i, first, rows;
	int	 row = l->workers.row + 1;

	if (l->workers.height == 0)
		return;
	idx = calloc(m->nworkers + 1, sizeof *idx);
	n = idx != NULL ? ui_view(ui, m, idx, m->nworkers) : 0;
	rows = (size_t)layout_worker_rows(l);
	first = ui->top > 0 ? (size_t)ui->top : 0;
	if (l->batch || first + rows > n)
		first = n > rows && !l->batch ? n - rows : 0;
	if (l->batch)
		rows = n;
	render_titles(c, l, first, n - first < rows ? n - first : rows, n);
	if (n == 0) {
		canvas_put(c, row, 2, l->cols - 2, ST_DIM, !m->valid ?
		    "no status yet" : m->nworkers > 0 ?
		    "no worker matches the filter (Esc clears it)" :
		    "no workers");
	}
	for (i = first; i < n && i < first + rows; i++, row++)
		render_worker(c, l, row, &m->workers[idx[i]],
		    !l->batch && strcmp(m->workers[idx[i]].id, ui->sel_id) == 0,
		    rc);
	free(idx);
}
