/*
 * console-term.h — the terminal side: curses set-up, styles as colours
 * or attributes, copying a canvas to the screen, reading keys.
 */
#ifndef PFO3_CONSOLE_TERM_H
#define PFO3_CONSOLE_TERM_H

#include "console-canvas.h"

/* Starts curses; `colour` 0 forces monochrome.  Returns -1 with *cause
 * when stdin/stdout is not a terminal curses can use. */
int	term_start(int colour, char **cause);
/* Restores the terminal; safe to call twice. */
void	term_stop(void);
/* The terminal's size now. */
void	term_size(int *rows, int *cols);
/* Copies the canvas to the screen and updates it (only changes are sent). */
void	term_draw(const struct canvas *c);
/* Forgets what is on the screen, so the next draw repaints it all. */
void	term_invalidate(void);
/* The next key without waiting, or -1. */
int	term_key(void);

#endif
