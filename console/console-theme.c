/*
 * console-theme.c — thresholds and symbols (see console-theme.h).
 */
#include <string.h>

#include "console-theme.h"

const struct symbols symbols_utf8 = {
	.spark = { "\u2581", "\u2582", "\u2583", "\u2584", "\u2585",
	    "\u2586", "\u2587", "\u2588" },
	.bar_full = "\u2588", .bar_empty = "\u2591",
	.warn = "\u25b2", .crit = "\u2716",
	.ok = "\u2714", .down = "\u2716",
	.select = "\u25b6", .sep = "\u2502", .dash = "\u2014",
	.up = "\u2191", .down_arrow = "\u2193",
};

const struct symbols symbols_ascii = {
	.spark = { "_", ".", ",", "-", "~", "=", "*", "#" },
	.bar_full = "#", .bar_empty = ".",
	.warn = "!", .crit = "X",
	.ok = "+", .down = "X",
	.select = ">", .sep = "|", .dash = "-",
	.up = "Up", .down_arrow = "Down",
};

enum style
theme_busy(double busy, double total)
{
	if (total <= 0 || busy < 0)
		return ST_OK;
	if (busy * 100 >= total * THEME_BUSY_CRIT_PCT)
		return ST_CRIT;
	if (busy * 100 >= total * THEME_BUSY_WARN_PCT)
		return ST_WARN;
	return ST_OK;
}

enum style
theme_queue(const struct thresholds *t, double messages, int dead_letter)
{
	if (messages <= 0)
		return ST_OK;
	if (dead_letter || messages >= (double)t->queue_crit)
		return ST_CRIT;
	if (messages >= (double)t->queue_warn)
		return ST_WARN;
	return ST_OK;
}

enum style
theme_state(const char *state)
{
	if (strcmp(state, "up") == 0)
		return ST_OK;
	if (strcmp(state, "failed") == 0 || strcmp(state, "down") == 0)
		return ST_CRIT;
	/* starting, draining, drained, stopping: in passage or on purpose. */
	return ST_WARN;
}

enum style
theme_lb(const char *status)
{
	if (status[0] == '\0')
		return ST_DIM;
	if (strncmp(status, "UP", 2) == 0)
		return ST_OK;
	if (strncmp(status, "DOWN", 4) == 0)
		return ST_CRIT;
	return ST_WARN;
}

const char *
theme_mark(const struct symbols *sym, enum style st)
{
	if (st == ST_WARN)
		return sym->warn;
	if (st == ST_CRIT)
		return sym->crit;
	return "";
}
