/*
 * console-keys.h — the console's key table.
 *
 * One row per action: the keys that trigger it, how the help screen and
 * the footer name them, and whether it changes the cluster (refused when
 * read-only) or needs a selected worker.  The help screen and the footer
 * hints are generated from this table, so they cannot disagree with
 * what the keys do.
 */
#ifndef PFO3_CONSOLE_KEYS_H
#define PFO3_CONSOLE_KEYS_H

#include <stddef.h>

enum action {
	ACT_NONE = 0,
	ACT_UP, ACT_DOWN, ACT_PAGE_UP, ACT_PAGE_DOWN, ACT_HOME, ACT_END,
	ACT_ADD, ACT_DRAIN, ACT_RESUME, ACT_REMOVE, ACT_RESTART,
	ACT_SORT, ACT_FILTER, ACT_PAUSE, ACT_FASTER, ACT_SLOWER,
	ACT_HELP, ACT_REDRAW, ACT_QUIT,
};

#define KEY_ADMIN	0x01	/* changes the cluster: admin socket only */
#define KEY_WORKER	0x02	/* acts on the selected worker */
#define KEY_CONFIRM	0x04	/* asks before it acts, showing the impact */
#define KEY_HINT	0x08	/* named in the footer */

struct key_binding {
	int		 keys[4];	/* curses key codes; 0 ends */
	const char	*label;		/* "j Down" — as the help screen shows it */
	const char	*hint;		/* footer word, or NULL */
	const char	*help;		/* one line */
	enum action	 action;
	int		 flags;
};

extern const struct key_binding key_table[];	/* ends with ACT_NONE */

/* The row bound to curses key `key`, or NULL. */
const struct key_binding *key_lookup(int key);
/* The row of an action (every action has one). */
const struct key_binding *key_for_action(enum action a);
/* The number of help lines key_help_line gives. */
size_t	key_help_count(void);
/* Line `i` of the help screen: "  a          add a worker (asks first)". */
void	key_help_line(size_t i, char *buf, size_t size);
/* Footer hints "a add  d drain ..." that fit in `width` columns. */
void	key_hints(char *buf, size_t size, int width);

#endif
