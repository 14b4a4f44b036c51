/*
 * console-term.c — curses: set-up, styles, drawing a canvas, keys.
 *
 * The whole frame is drawn into curses' buffer every time; curses then
 * sends only the cells that changed, so a frame where a few numbers
 * moved costs a few bytes on the wire.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "console-term.h"
#include "xmalloc.h"

static int	term_on;
static int	term_colour;
static attr_t	term_attr[ST_NSTYLES];
static short	term_pair[ST_NSTYLES];

/* Colours per style when the terminal has them. */
static void
term_colours(void)
{
	static const struct {
		enum style	 st;
		short		 fg, bg;
		attr_t		 attr;
	} map[] = {
		{ ST_TITLE,	-1, -1, A_BOLD },
		{ ST_DIM,	COLOR_BLUE, -1, A_BOLD },
		{ ST_OK,	COLOR_GREEN, -1, 0 },
		{ ST_WARN,	COLOR_YELLOW, -1, A_BOLD },
		{ ST_CRIT,	COLOR_RED, -1, A_BOLD },
		{ ST_SELECT,	COLOR_BLACK, COLOR_CYAN, 0 },
		{ ST_HEADER,	COLOR_BLACK, COLOR_WHITE, 0 },
		{ ST_DIALOG,	COLOR_WHITE, COLOR_BLUE, A_BOLD },
	};
	size_t	 i;

	start_color();
	use_default_colors();
	for (i = 0; i < sizeof map / sizeof map[0]; i++) {
		init_pair((short)(i + 1), map[i].fg, map[i].bg);
		term_pair[map[i].st] = (short)(i + 1);
		term_attr[map[i].st] = map[i].attr;
	}
}

/* Attributes only: the meaning stays in the symbols the renderer draws. */
static void
term_mono(void)
{
	term_attr[ST_TITLE] = A_BOLD;
	term_attr[ST_DIM] = A_DIM;
	term_attr[ST_WARN] = A_BOLD;
	term_attr[ST_CRIT] = A_BOLD | A_UNDERLINE;
	term_attr[ST_SELECT] = A_REVERSE;
	term_attr[ST_HEADER] = A_REVERSE;
	term_attr[ST_DIALOG] = A_REVERSE;
}

int
term_start(int colour, char **cause)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		*cause = xstrdup("not a terminal: use --batch for a text "
		    "frame on stdout");
		return -1;
	}
	if (newterm(NULL, stdout, stdin) == NULL) {
		*cause = xasprintf("cannot use the terminal type '%s'",
		    getenv("TERM") != NULL ? getenv("TERM") : "(unset)");
		return -1;
	}
	term_on = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	/* Esc alone (cancel) must not wait a second for an escape sequence. */
	set_escdelay(25);
	curs_set(0);
	memset(term_attr, 0, sizeof term_attr);
	memset(term_pair, 0, sizeof term_pair);
	term_colour = colour && has_colors();
	if (term_colour)
		term_colours();
	else
		term_mono();
	return 0;
}

void
term_stop(void)
{
	if (!term_on)
		return;
	term_on = 0;
	curs_set(1);
	endwin();
}

void
term_size(int *rows, int *cols)
{
	getmaxyx(stdscr, *rows, *cols);
}

void
term_draw(const struct canvas *c)
{
	const struct cell	*row;
	wchar_t			 run[512];
	int			 y, x, n, st, rows, cols;

	getmaxyx(stdscr, rows, cols);
	for (y = 0; y < c->rows && y < rows; y++) {
		row = &c->cells[(size_t)y * (size_t)c->cols];
		move(y, 0);
		for (x = 0; x < c->cols && x < cols;) {
			st = row[x].style;
			/* A run of one style; continuation cells are skipped
			 * (the wide character before them covers them). */
			for (n = 0; x < c->cols && x < cols &&
			    row[x].style == st && n + 1 < (int)(sizeof run /
			    sizeof run[0]); x++)
				if (row[x].ch != 0)
					run[n++] = row[x].ch;
			run[n] = L'\0';
			attr_set(term_attr[st], term_pair[st], NULL);
			addnwstr(run, n);
		}
	}
	attr_set(A_NORMAL, 0, NULL);
	refresh();
}

void
term_invalidate(void)
{
	clearok(curscr, TRUE);
}

int
term_key(void)
{
	int	 k = getch();

	return k == ERR ? -1 : k;
}
