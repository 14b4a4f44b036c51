/*
 * console.h — pfo3-console: the operator console of a pfo3 cluster.
 *
 * console.c        options, configuration, the interactive loop
 * console-batch.c  --batch: one frame as text on stdout
 * console-watch.c  the links to pfo3-ctld (watch stream, actions)
 * console-model.c  a status object into plain data
 * console-ui.c     keys, selection, sort, filter; console-track.c
 *                  follows an action; console-confirm.c its impact
 * console-keys.c   the key table, which also makes the help screen
 * console-layout.c panel and column geometry for a terminal size
 * console-render*.c drawing a frame into a canvas (console-canvas.c)
 * console-theme.c  thresholds, symbols; console-format.c numbers, bars
 * console-term.c   curses; console-sanitizer.c what LeakSanitizer may ignore
 */
#ifndef PFO3_CONSOLE_H
#define PFO3_CONSOLE_H

#include "console-theme.h"

struct console_opts {
	const char		*socket;	/* resolved path */
	const char		*socket_origin;	/* "-s", "$PFO3_SOCKET", ... */
	int			 interval_ms;
	int			 read_only;	/* --read-only */
	int			 colour;	/* 0: NO_COLOR or --no-color */
	int			 width;		/* --batch columns */
	const struct symbols	*sym;
	struct thresholds	 th;
};

/* --batch: prints one frame; returns the exit status. */
int	console_batch(const struct console_opts *o);
/* The interactive console; returns the exit status. */
int	console_run(const struct console_opts *o);

#endif
