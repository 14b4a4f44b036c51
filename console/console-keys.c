/*
 * console-keys.c — the key table (see console-keys.h).
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "console-keys.h"

#define CTRL(c)	((c) & 0x1f)

const struct key_binding key_table[] = {
	{ { KEY_UP, 'k' }, "k Up", NULL,
	  "select the worker above", ACT_UP, 0 },
	{ { KEY_DOWN, 'j' }, "j Down", NULL,
	  "select the worker below", ACT_DOWN, 0 },
	{ { KEY_PPAGE }, "PgUp", NULL,
	  "select a page of workers up", ACT_PAGE_UP, 0 },
	{ { KEY_NPAGE }, "PgDn", NULL,
	  "select a page of workers down", ACT_PAGE_DOWN, 0 },
	{ { KEY_HOME, 'g' }, "g Home", NULL,
	  "select the first worker", ACT_HOME, 0 },
	{ { KEY_END, 'G' }, "G End", NULL,
	  "select the last worker", ACT_END, 0 },
	{ { 'a' }, "a", "add",
	  "add a local worker", ACT_ADD,
	  KEY_ADMIN | KEY_CONFIRM | KEY_HINT },
	{ { 'd' }, "d", "drain",
	  "drain the selected worker (no new work)", ACT_DRAIN,
	  KEY_ADMIN | KEY_WORKER | KEY_CONFIRM | KEY_HINT },
	{ { 'r' }, "r", "resume",
	  "resume the selected worker after a drain", ACT_RESUME,
	  KEY_ADMIN | KEY_WORKER | KEY_HINT },
	{ { 'x' }, "x", "remove",
	  "remove the selected worker: drain, stop",
	  ACT_REMOVE, KEY_ADMIN | KEY_WORKER | KEY_CONFIRM | KEY_HINT },
	{ { 'R' }, "R", "restart",
	  "restart all workers, one at a time",
	  ACT_RESTART, KEY_ADMIN | KEY_CONFIRM | KEY_HINT },
	{ { 's' }, "s", "sort",
	  "sort by id, state, busy, req/s, p99, errors (cycles)",
	  ACT_SORT, KEY_HINT },
	{ { '/' }, "/", "filter",
	  "show only workers whose id, address or state match",
	  ACT_FILTER, KEY_HINT },
	{ { 'p', ' ' }, "p Space", "pause",
	  "pause the display (data keeps arriving) or go on", ACT_PAUSE,
	  0 },
	{ { '+', '=' }, "+", NULL,
	  "refresh faster (halves the interval, down to 250 ms)",
	  ACT_FASTER, 0 },
	{ { '-', '_' }, "-", NULL,
	  "refresh slower (doubles the interval, up to 60 s)", ACT_SLOWER, 0 },
	{ { '?', 'h', KEY_F(1) }, "? h F1", "help",
	  "show or hide this help", ACT_HELP, KEY_HINT },
	{ { CTRL('l') }, "Ctrl-L", NULL,
	  "redraw the whole screen", ACT_REDRAW, 0 },
	{ { 'q', 'Q' }, "q", "quit",
	  "quit the console (the cluster keeps running)", ACT_QUIT,
	  KEY_HINT },
	{ { 0 }, NULL, NULL, NULL, ACT_NONE, 0 },
};

const struct key_binding *
key_lookup(int key)
{
	const struct key_binding	*b;
	int				 i;

	if (key == 0)
		return NULL;
	for (b = key_table; b->action != ACT_NONE; b++)
		for (i = 0; i < 4 && b->keys[i] != 0; i++)
			if (b->keys[i] == key)
				return b;
	return NULL;
}

const struct key_binding *
key_for_action(enum action a)
{
	const struct key_binding	*b;

	for (b = key_table; b->action != ACT_NONE; b++)
		if (b->action == a)
			return b;
	return NULL;
}

size_t
key_help_count(void)
{
	const struct key_binding	*b;
	size_t				 n = 0;

	for (b = key_table; b->action != ACT_NONE; b++)
		n++;
	return n;
}

void
key_help_line(size_t i, char *buf, size_t size)
{
	const struct key_binding	*b = &key_table[i];

	if (i >= key_help_count()) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, size, "  %-8s %s%s%s", b->label, b->help,
	    (b->flags & KEY_CONFIRM) ? ", asks first" : "",
	    (b->flags & KEY_ADMIN) ? " [admin]" : "");
}

void
key_hints(char *buf, size_t size, int width)
{
	const struct key_binding	*b;
	char				 item[64];
	size_t				 len = 0, n;

	buf[0] = '\0';
	for (b = key_table; b->action != ACT_NONE; b++) {
		if (!(b->flags & KEY_HINT))
			continue;
		/* The first key of the label is enough in the footer. */
		n = (size_t)snprintf(item, sizeof item, "%s%.*s %s",
		    len > 0 ? "  " : "", (int)strcspn(b->label, " "),
		    b->label, b->hint);
		if ((int)(len + n) > width || len + n + 1 > size)
			break;
		memcpy(buf + len, item, n + 1);
		len += n;
	}
}
