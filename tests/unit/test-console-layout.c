/*
 * test-console-layout.c — panel and column geometry: 80×24 (the
 * smallest), 100×30 (room for addresses and a dependency panel),
 * 132×40 (queues and dependencies side by side), 64 workers on 80×24
 * (the table scrolls, the other panels stay), and --batch.
 */
#include <stdio.h>
#include <string.h>

#include "console-layout.h"
#include "tap.h"

static struct layout_need
need(size_t nworkers)
{
	struct layout_need	 n;

	memset(&n, 0, sizeof n);
	n.nworkers = nworkers;
	n.nqueues = 4;
	n.ndeps = 4;
	n.nevents = 10;
	n.id_width = nworkers >= 10 ? 3 : 2;
	n.addr_width = 14;
	return n;
}

/* Boxes follow each other without overlap and stay above the status
 * line; every shown column ends inside the width. */
static int
sane(const struct layout *l)
{
	const struct box	*b[] = { &l->header, &l->workers, &l->queues,
	    &l->deps, &l->events };
	int			 i, end = l->batch ? l->rows : l->status_row;

	for (i = 0; i < 5; i++) {
		if (b[i]->height < 0 || b[i]->row + b[i]->height > end ||
		    b[i]->col + b[i]->width > l->cols)
			return 0;
		if (i > 0 && i != 3 && b[i]->height > 0 &&
		    b[i]->row < b[i - 1]->row + b[i - 1]->height)
			return 0;
	}
	for (i = 0; i < WC_NCOLS; i++)
		if (l->col_x[i] >= 0 && l->col_x[i] + l->col_w[i] > l->cols)
			return 0;
	return 1;
}

static void
test_80x24(void)
{
	struct layout		 l;
	struct layout_need	 n = need(3);

	layout_compute(&l, 24, 80, &n);
	tap_ok(!l.too_small, "80x24 is laid out");
	tap_ok(sane(&l), "80x24: boxes in order, columns inside");
	tap_is_int(l.header.row, 0, "header on top");
	tap_is_int(l.header.height, 2, "two header lines");
	tap_is_int(l.workers.row, 2, "workers below the header");
	tap_is_int(l.workers.height, 4, "a title and 3 worker rows");
	tap_is_int(l.queues.height, 5, "a title and 4 queues");
	tap_ok(l.deps_compact && l.deps.height == 1,
	    "dependencies on one line");
	tap_ok(l.events.height >= 3, "room for events");
	tap_is_int(l.status_row, 22, "status line above the footer");
	tap_is_int(l.footer_row, 23, "footer on the last line");
	tap_is_int(l.col_x[WC_ADDR], -1, "no address column at 80");
	tap_ok(l.col_x[WC_SPARK] >= 0 && l.col_w[WC_SPARK] >= LAYOUT_SPARK_MIN,
	    "a sparkline column at 80 (%d wide)", l.col_w[WC_SPARK]);
	tap_ok(l.col_x[WC_POOL] >= 0 && l.col_x[WC_P50] >= 0 &&
	    l.col_x[WC_P99] >= 0 && l.col_x[WC_ERR] >= 0 &&
	    l.col_x[WC_RST] >= 0 && l.col_x[WC_LB] >= 0 &&
	    l.col_x[WC_QUEUE] >= 0 && l.col_x[WC_REQ] >= 0,
	    "every other column at 80");
	tap_is_int(l.col_x[WC_SPARK] + l.col_w[WC_SPARK], 80,
	    "the sparkline ends at the right edge");
}

static void
test_wider(void)
{
	struct layout		 l;
	struct layout_need	 n = need(3);

	layout_compute(&l, 30, 100, &n);
	tap_ok(sane(&l), "100x30: sane");
	tap_ok(l.col_x[WC_ADDR] >= 0 && l.col_w[WC_ADDR] == 14,
	    "100x30: the address column appears, as wide as the longest");
	tap_ok(!l.deps_compact && l.deps.height == 5,
	    "100x30: a dependency panel (title and 4 rows)");
	tap_ok(l.queues.row < l.deps.row, "100x30: queues above deps");

	layout_compute(&l, 40, 132, &n);
	tap_ok(sane(&l), "132x40: sane");
	tap_ok(l.queues.row == l.deps.row && l.deps.col > l.queues.col +
	    l.queues.width - 1, "132x40: queues and deps side by side");
	tap_ok(l.col_w[WC_SPARK] > 30, "132x40: a longer sparkline (%d)",
	    l.col_w[WC_SPARK]);

	layout_compute(&l, 60, 400, &n);
	tap_ok(sane(&l) && l.col_w[WC_SPARK] <= 300,
	    "400 columns: the sparkline stops at the history kept");
}

static void
test_many(void)
{
	struct layout		 l;
	struct layout_need	 n = need(64);

	layout_compute(&l, 24, 80, &n);
	tap_ok(sane(&l), "64 workers at 80x24: sane");
	tap_ok(layout_worker_rows(&l) >= 3 && layout_worker_rows(&l) < 64,
	    "64 workers at 80x24: %d rows shown, the table scrolls",
	    layout_worker_rows(&l));
	tap_ok(l.queues.height >= 2 && l.deps.height == 1 &&
	    l.events.height >= 2, "64 workers: queues, deps and events "
	    "stay visible");
	tap_is_int(l.events.row + l.events.height, l.status_row,
	    "64 workers: the panels fill the screen");

	layout_compute(&l, 60, 132, &n);
	tap_ok(sane(&l) && layout_worker_rows(&l) > 30,
	    "64 workers at 132x60: more rows (%d)", layout_worker_rows(&l));
}

static void
test_small_and_batch(void)
{
	struct layout		 l;
	struct layout_need	 n = need(64);

	layout_compute(&l, 24, 79, &n);
	tap_ok(l.too_small, "79x24: too small");
	layout_compute(&l, 23, 80, &n);
	tap_ok(l.too_small, "80x23: too small");
	layout_compute(&l, 0, 80, &n);
	tap_ok(!l.too_small && l.batch, "batch at 80 columns");
	tap_is_int(l.workers.height, 65, "batch: every worker");
	tap_is_int(l.events.height, 11, "batch: every event");
	tap_ok(!l.deps_compact && l.status_row == -1 && l.footer_row == -1,
	    "batch: a deps panel, no status or footer line");
	tap_is_int(l.rows, 2 + 65 + 5 + 5 + 11, "batch: rows add up");
	tap_ok(sane(&l), "batch: sane");
	n.nworkers = 0;
	layout_compute(&l, 24, 80, &n);
	tap_ok(sane(&l) && l.workers.height == 2,
	    "no workers: a title and a \"no workers\" line");
}

int
main(void)
{
	test_80x24();
	test_wider();
	test_many();
	test_small_and_batch();
	return tap_done();
}
