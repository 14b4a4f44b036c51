/*
 * console-layout.c — panel boxes and worker-table columns for a size.
 */
#include <string.h>

#include "console-layout.h"
#include "status-model.h"

/* Columns before the first one: the selection marker and a space. */
#define LAYOUT_MARK	2

static const struct {
	const char	*title;
	int		 width;		/* without the space after it */
	int		 keep;		/* higher stays longer as width shrinks */
} layout_wcols[WC_NCOLS] = {
	[WC_ID] =	{ "ID",		2,	12 },
	[WC_ADDR] =	{ "ADDRESS",	7,	1 },
	[WC_STATE] =	{ "STATE",	8,	11 },
	[WC_LB] =	{ "LB",		6,	5 },
	/* a 5-cell bar, a space, "15/16", a threshold mark */
	[WC_POOL] =	{ "POOL",	12,	10 },
	[WC_QUEUE] =	{ "QUEUE",	5,	7 },
	[WC_REQ] =	{ "REQ/S",	6,	9 },
	[WC_P50] =	{ "P50ms",	6,	3 },
	[WC_P99] =	{ "P99ms",	6,	8 },
	[WC_ERR] =	{ "ERR/S",	5,	6 },
	[WC_RST] =	{ "RST",	3,	4 },
	[WC_SPARK] =	{ "BUSY HISTORY", LAYOUT_SPARK_MIN, 2 },
};

const char *
layout_col_title(enum wcol c)
{
	return layout_wcols[c].title;
}

int
layout_worker_rows(const struct layout *l)
{
	return l->workers.height > 1 ? l->workers.height - 1 : 0;
}

/* Chooses the columns that fit in `cols` and places them. */
static void
layout_columns(struct layout *l, int cols, const struct layout_need *need)
{
	int	 shown[WC_NCOLS], width[WC_NCOLS];
	int	 i, sum, low, x;

	for (i = 0; i < WC_NCOLS; i++) {
		shown[i] = 1;
		width[i] = layout_wcols[i].width;
	}
	if (need->id_width > width[WC_ID])
		width[WC_ID] = need->id_width > 16 ? 16 : need->id_width;
	if (need->addr_width > width[WC_ADDR])
		width[WC_ADDR] = need->addr_width > 24 ? 24 :
		    need->addr_width;

	for (;;) {
		sum = LAYOUT_MARK;
		for (i = 0; i < WC_NCOLS; i++)
			if (shown[i])
				sum += width[i] + (i == WC_SPARK ? 0 : 1);
		if (sum <= cols)
			break;
		low = -1;
		for (i = 0; i < WC_NCOLS; i++)
			if (shown[i] && i != WC_ID && (low == -1 ||
			    layout_wcols[i].keep < layout_wcols[low].keep))
				low = i;
		if (low == -1)
			break;		/* only the id is left: let it clip */
		shown[low] = 0;
	}
	if (shown[WC_SPARK]) {
		/* The sparkline takes what is left, up to the history kept. */
		width[WC_SPARK] += cols - sum;
		if (width[WC_SPARK] > MODEL_HISTORY)
			width[WC_SPARK] = MODEL_HISTORY;
	}

	x = LAYOUT_MARK;
	for (i = 0; i < WC_NCOLS; i++) {
		l->col_x[i] = shown[i] ? x : -1;
		l->col_w[i] = shown[i] ? width[i] : 0;
		if (shown[i])
			x += width[i] + 1;
	}
}

static void
layout_box(struct box *b, int row, int col, int width, int height)
{
	b->row = row;
	b->col = col;
	b->width = width;
	b->height = height;
}

void
layout_compute(struct layout *l, int rows, int cols,
    const struct layout_need *need)
{
	int	 avail, w_need, q_need, d_need, e_need, middle, side, w, e, q;
	int	 row;

	memset(l, 0, sizeof *l);
	l->rows = rows;
	l->cols = cols;
	l->batch = rows == 0;
	l->status_row = l->footer_row = -1;
	if (cols < LAYOUT_MIN_COLS || (!l->batch && rows < LAYOUT_MIN_ROWS)) {
		l->too_small = 1;
		return;
	}
	layout_columns(l, cols, need);
	side = cols >= LAYOUT_SIDE_COLS;
	l->deps_compact = !side && !l->batch && rows < LAYOUT_DEPS_ROWS;

	/* Each panel: a title row and at least one line ("none"). */
	w_need = 1 + (need->nworkers > 0 ? (int)need->nworkers : 1);
	q_need = 1 + (need->nqueues > 0 ? (int)need->nqueues : 1);
	d_need = l->deps_compact ? 1 :
	    1 + (need->ndeps > 0 ? (int)need->ndeps : 1);
	e_need = 1 + (need->nevents > 0 ? (int)need->nevents : 1);
	middle = side ? (q_need > d_need ? q_need : d_need) : q_need + d_need;

	layout_box(&l->header, 0, 0, cols, 2);
	row = 2;
	if (l->batch) {
		w = w_need;
		e = e_need;
		q = q_need;
	} else {
		avail = rows - 2 - 2;	/* header; status and footer lines */
		q = q_need;
		/* Keep three workers and one event line visible before all
		 * the queues: the workers are what the console is for. */
		w = 1 + (need->nworkers < 3 ? (need->nworkers ? (int)need->nworkers : 1) : 3);
		while (w + middle + 2 > avail && q > 2) {
			q--;
			middle = side ? (q > d_need ? q : d_need) : q + d_need;
		}
		w = avail - middle - 2;
		if (w > w_need)
			w = w_need;
		if (w < 2)
			w = 2;
		e = avail - middle - w;
		if (e < 0)
			e = 0;
		l->status_row = rows - 2;
		l->footer_row = rows - 1;
	}

	layout_box(&l->workers, row, 0, cols, w);
	row += w;
	if (side) {
		layout_box(&l->queues, row, 0, cols / 2 + 8, q);
		layout_box(&l->deps, row, cols / 2 + 9, cols - cols / 2 - 9,
		    d_need);
		row += middle;
	} else {
		layout_box(&l->queues, row, 0, cols, q);
		row += q;
		layout_box(&l->deps, row, 0, cols, d_need);
		row += d_need;
	}
	layout_box(&l->events, row, 0, cols, e);
	row += e;
	if (l->batch)
		l->rows = row;
}
