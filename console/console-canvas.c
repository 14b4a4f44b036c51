/*
 * console-canvas.c — the cell grid the console renders into.
 *
 * Text enters as UTF-8 (status strings, event texts) and is decoded here
 * with mbrtowc, so the console needs a UTF-8 locale for non-ASCII text;
 * anything that does not decode, and every control character, is shown
 * as '?' so a hostile event text cannot move the cursor or change modes.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "console-canvas.h"
#include "xmalloc.h"

void
canvas_resize(struct canvas *c, int rows, int cols)
{
	if (rows < 0)
		rows = 0;
	if (cols < 0)
		cols = 0;
	free(c->cells);
	c->rows = rows;
	c->cols = cols;
	c->cells = xcalloc((size_t)rows * (size_t)cols + 1, sizeof *c->cells);
	canvas_clear(c);
}

void
canvas_free(struct canvas *c)
{
	free(c->cells);
	c->cells = NULL;
	c->rows = c->cols = 0;
}

void
canvas_clear(struct canvas *c)
{
	size_t	 i, n = (size_t)c->rows * (size_t)c->cols;

	for (i = 0; i < n; i++) {
		c->cells[i].ch = L' ';
		c->cells[i].style = ST_NORMAL;
	}
}

static struct cell *
canvas_at(struct canvas *c, int row, int col)
{
	return &c->cells[(size_t)row * (size_t)c->cols + (size_t)col];
}

void
canvas_style(struct canvas *c, int row, int col, int n, enum style st)
{
	int	 i;

	if (row < 0 || row >= c->rows)
		return;
	for (i = col < 0 ? 0 : col; i < col + n && i < c->cols; i++)
		canvas_at(c, row, i)->style = (unsigned char)st;
}

/*
 * Decodes the next character of `s` (at most `len` bytes): stores it in
 * *wc and returns the bytes used (at least 1).  Bad bytes and control
 * characters come back as '?'.
 */
static size_t
canvas_decode(const char *s, size_t len, wchar_t *wc)
{
	mbstate_t	 st;
	size_t		 n;

	memset(&st, 0, sizeof st);
	n = mbrtowc(wc, s, len, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*wc = L'?';
		return 1;
	}
	if (iswcntrl((wint_t)*wc))
		*wc = L'?';
	return n;
}

/* Columns a decoded character takes: 0 for combining marks, 1 or 2. */
static int
canvas_wcwidth(wchar_t wc)
{
	int	 w = wcwidth(wc);

	return w < 0 ? 1 : w;
}

/* Clears a wide character that (row, col) cuts in half. */
static void
canvas_unsplit(struct canvas *c, int row, int col)
{
	struct cell	*cl = canvas_at(c, row, col);

	if (cl->ch == 0 && col > 0)
		canvas_at(c, row, col - 1)->ch = L' ';
	if (col + 1 < c->cols && canvas_at(c, row, col + 1)->ch == 0)
		canvas_at(c, row, col + 1)->ch = L' ';
}

int
canvas_put(struct canvas *c, int row, int col, int width, enum style st,
    const char *s)
{
	size_t	 len = strlen(s), n;
	wchar_t	 wc;
	int	 x = col, end, w;

	if (row < 0 || row >= c->rows || col >= c->cols)
		return 0;
	end = width < 0 || col + width > c->cols ? c->cols : col + width;
	while (len > 0) {
		n = canvas_decode(s, len, &wc);
		s += n;
		len -= n;
		if ((w = canvas_wcwidth(wc)) == 0)
			continue;	/* combining marks are not drawn apart */
		if (x + w > end)
			break;
		if (x >= 0) {
			canvas_unsplit(c, row, x);
			canvas_at(c, row, x)->ch = wc;
			canvas_at(c, row, x)->style = (unsigned char)st;
			if (w == 2) {
				canvas_unsplit(c, row, x + 1);
				canvas_at(c, row, x + 1)->ch = 0;
				canvas_at(c, row, x + 1)->style =
				    (unsigned char)st;
			}
		}
		x += w;
	}
	return x - col;
}

int
canvas_printf(struct canvas *c, int row, int col, int width, enum style st,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return canvas_put(c, row, col, width, st, buf);
}

void
canvas_fill(struct canvas *c, int row, int col, int n, wchar_t ch,
    enum style st)
{
	int	 i;

	if (row < 0 || row >= c->rows)
		return;
	for (i = col < 0 ? 0 : col; i < col + n && i < c->cols; i++) {
		canvas_unsplit(c, row, i);
		canvas_at(c, row, i)->ch = ch;
		canvas_at(c, row, i)->style = (unsigned char)st;
	}
}

int
canvas_width(const char *s)
{
	size_t	 len = strlen(s), n;
	wchar_t	 wc;
	int	 w = 0;

	while (len > 0) {
		n = canvas_decode(s, len, &wc);
		s += n;
		len -= n;
		w += canvas_wcwidth(wc);
	}
	return w;
}

char *
canvas_line(const struct canvas *c, int row)
{
	const struct cell	*cl;
	char			*out, *p;
	size_t			 n;
	mbstate_t		 st;
	int			 i, last = -1;

	if (row < 0 || row >= c->rows)
		return xstrdup("");
	cl = &c->cells[(size_t)row * (size_t)c->cols];
	for (i = 0; i < c->cols; i++)
		if (cl[i].ch != 0 && cl[i].ch != L' ')
			last = i;
	out = p = xmalloc((size_t)(last + 2) * MB_LEN_MAX + 1);
	memset(&st, 0, sizeof st);
	for (i = 0; i <= last; i++) {
		if (cl[i].ch == 0)
			continue;
		n = wcrtomb(p, cl[i].ch, &st);
		if (n == (size_t)-1) {
			*p = '?';
			n = 1;
		}
		p += n;
	}
	*p = '\0';
	return out;
}

enum style
canvas_style_at(const struct canvas *c, int row, int col)
{
	if (row < 0 || row >= c->rows || col < 0 || col >= c->cols)
		return ST_NORMAL;
	return (enum style)c->cells[(size_t)row * (size_t)c->cols +
	    (size_t)col].style;
}
