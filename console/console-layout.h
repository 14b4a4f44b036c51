/*
 * console-layout.h — where each panel and each column of the workers
 * table goes for a terminal of a given size.
 *
 * Pure arithmetic on sizes and counts, so a unit test can check the
 * screen at 80×24 and wider without a terminal.  The workers table takes
 * what the other panels leave and scrolls; its columns are dropped by
 * priority when the width does not hold them all (the address first,
 * the request rate last), and the busy-history sparkline takes the rest.
 */
#ifndef PFO3_CONSOLE_LAYOUT_H
#define PFO3_CONSOLE_LAYOUT_H

#include <stddef.h>

/* The smallest terminal the console is laid out for; below it, a notice. */
#define LAYOUT_MIN_COLS	80
#define LAYOUT_MIN_ROWS	24
/* From this width the queues and dependencies sit side by side. */
#define LAYOUT_SIDE_COLS	120
/* From this height the dependencies get a panel, not one line. */
#define LAYOUT_DEPS_ROWS	30
/* The sparkline needs this many samples to be worth its column. */
#define LAYOUT_SPARK_MIN	8

enum wcol {
	WC_ID, WC_ADDR, WC_STATE, WC_LB, WC_POOL, WC_QUEUE, WC_REQ, WC_P50,
	WC_P99, WC_ERR, WC_RST, WC_SPARK, WC_NCOLS
};

struct box {
	int	 row, col, width, height;	/* height 0: not shown */
};

struct layout {
	int		 rows, cols;
	int		 too_small;	/* below LAYOUT_MIN_*: a notice only */
	int		 batch;		/* no status or footer line */
	struct box	 header;	/* two lines of totals */
	struct box	 workers;	/* title row + worker rows */
	struct box	 queues;
	struct box	 deps;
	int		 deps_compact;	/* one line, no title */
	struct box	 events;
	int		 status_row;	/* action progress, messages; -1 none */
	int		 footer_row;	/* key hints or the prompt; -1 none */

	int		 col_x[WC_NCOLS];	/* -1: column hidden */
	int		 col_w[WC_NCOLS];
};

/* What the layout needs to know of the contents. */
struct layout_need {
	size_t	 nworkers, nqueues, ndeps, nevents;
	int	 id_width, addr_width;	/* longest worker id and address */
};

/*
 * Lays out a terminal of rows × cols.  rows == 0 is --batch: every panel
 * gets all the rows it needs and l->rows says how many that makes.
 */
void	layout_compute(struct layout *l, int rows, int cols,
	    const struct layout_need *need);
/* The heading of a workers-table column ("ID", "P99ms", ...). */
const char *layout_col_title(enum wcol c);
/* Worker rows visible in the table (its height less the title). */
int	layout_worker_rows(const struct layout *l);

#endif
