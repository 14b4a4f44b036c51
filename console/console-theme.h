/*
 * console-theme.h — the meaning of a value (fine, warning, critical) and
 * how it is shown: a style that becomes a colour, and a symbol that says
 * the same on a monochrome terminal, with NO_COLOR, or in --batch text.
 *
 * Symbols are always drawn, colour only when the terminal has it: so the
 * screen means the same thing everywhere, and a screenshot or a batch
 * frame still tells a full pool from an idle one.
 */
#ifndef PFO3_CONSOLE_THEME_H
#define PFO3_CONSOLE_THEME_H

#include <stdint.h>

#include "console-canvas.h"

/* Busy threads over total: the thresholds (per cent). */
#define THEME_BUSY_WARN_PCT	80
#define THEME_BUSY_CRIT_PCT	100

/* Characters for one kind of terminal: UTF-8 or plain ASCII. */
struct symbols {
	const char	*spark[8];	/* sparkline, lowest to highest */
	const char	*bar_full, *bar_empty;
	const char	*warn, *crit;	/* after a value over a threshold */
	const char	*ok, *down;	/* a dependency */
	const char	*select;	/* before the selected row */
	const char	*sep;		/* between header fields */
	const char	*dash;		/* in "disconnected — retrying" */
	const char	*up, *down_arrow; /* the selection keys, in help */
};

extern const struct symbols symbols_utf8;
extern const struct symbols symbols_ascii;

/* The thresholds that come from pfo3.conf (console.*). */
struct thresholds {
	int64_t	 queue_warn;	/* ready messages in a queue */
	int64_t	 queue_crit;
};

/* ST_OK, ST_WARN or ST_CRIT for `busy` of `total` threads. */
enum style theme_busy(double busy, double total);
/* For the ready messages of a queue; a dead-letter queue is critical as
 * soon as it holds anything. */
enum style theme_queue(const struct thresholds *t, double messages,
	    int dead_letter);
/* For a worker state ("up" is fine, "failed" critical, ...). */
enum style theme_state(const char *state);
/* For HAProxy's status of a server ("UP", "DOWN", "DRAIN", ...). */
enum style theme_lb(const char *status);
/* The symbol that goes with a style ("" for ST_OK and the rest). */
const char *theme_mark(const struct symbols *sym, enum style st);

#endif
