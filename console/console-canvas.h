/*
 * console-canvas.h — a grid of character cells that the renderer draws
 * into, before any terminal is involved.
 *
 * Drawing into a plain grid keeps rendering testable (a unit test reads
 * the rows back as text) and lets --batch print the very frame the
 * screen would show.  Each cell holds one wide character and a style;
 * a character two columns wide fills its cell and marks the next one as
 * its continuation, so clipping never splits it.
 */
#ifndef PFO3_CONSOLE_CANVAS_H
#define PFO3_CONSOLE_CANVAS_H

#include <stddef.h>
#include <wchar.h>

/* What a cell means; the terminal code maps each to colour or attributes. */
enum style {
	ST_NORMAL = 0,
	ST_TITLE,		/* panel titles and column heads */
	ST_DIM,			/* secondary text */
	ST_OK,			/* healthy */
	ST_WARN,		/* over a first threshold */
	ST_CRIT,		/* over the last threshold, down, failed */
	ST_SELECT,		/* the selected row */
	ST_HEADER,		/* the top bar */
	ST_DIALOG,		/* a confirmation or the help screen */
	ST_NSTYLES
};

struct cell {
	wchar_t		 ch;		/* 0: continuation of a wide char */
	unsigned char	 style;
};

struct canvas {
	int		 rows, cols;
	struct cell	*cells;
};

/* Makes (or remakes) a blank canvas of rows × cols. */
void	canvas_resize(struct canvas *c, int rows, int cols);
void	canvas_free(struct canvas *c);
/* Blanks every cell. */
void	canvas_clear(struct canvas *c);
/* Sets the style of `n` cells from (row, col), clipped. */
void	canvas_style(struct canvas *c, int row, int col, int n, enum style st);
/*
 * Writes UTF-8 `s` at (row, col), at most `width` columns (-1: up to the
 * right edge), clipped to the canvas.  Control characters and invalid
 * bytes become '?'.  Returns the columns written.
 */
int	canvas_put(struct canvas *c, int row, int col, int width,
	    enum style st, const char *s);
/* printf into canvas_put. */
int	canvas_printf(struct canvas *c, int row, int col, int width,
	    enum style st, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
/* Fills `n` columns from (row, col) with `ch`. */
void	canvas_fill(struct canvas *c, int row, int col, int n, wchar_t ch,
	    enum style st);
/* The display width of UTF-8 `s` as canvas_put would draw it. */
int	canvas_width(const char *s);
/* Row `row` as UTF-8 without trailing blanks.  Caller frees. */
char	*canvas_line(const struct canvas *c, int row);
/* The style of one cell (ST_NORMAL outside the canvas). */
enum style canvas_style_at(const struct canvas *c, int row, int col);

#endif
