/*
 * console-ui.h — the console's state between frames: selection, sort,
 * filter, pause, the refresh interval, the open dialog or prompt, the
 * message line and the action being followed.
 *
 * ui_key() turns one key into a change of this state and, at most, one
 * request for the main loop (send a command, change the interval, quit).
 * It never does I/O, so key handling is unit-tested without a terminal
 * or a daemon.
 */
#ifndef PFO3_CONSOLE_UI_H
#define PFO3_CONSOLE_UI_H

#include <stddef.h>
#include <stdint.h>

#include "console-canvas.h"
#include "console-keys.h"
#include "status-model.h"

/* The refresh interval asked of ctld, ms. */
#define UI_INTERVAL_MIN		250
#define UI_INTERVAL_MAX		60000
/* How long a result stays on the message line, ms. */
#define UI_MESSAGE_MS		10000
/* How long an action is followed at most, ms. */
#define UI_TRACK_MS		(5 * 60 * 1000)
/* Workers a rolling restart follows (ctld.max_workers is 64 by default);
 * with more, it ends when these have restarted. */
#define UI_TRACK_WORKERS	256

enum ui_mode { UI_NORMAL, UI_HELP, UI_CONFIRM, UI_FILTER };

enum ui_sort { SORT_ID, SORT_STATE, SORT_BUSY, SORT_REQ, SORT_P99,
	SORT_ERRORS, SORT_COUNT };

/* What the main loop must do after a key. */
struct ui_request {
	enum { REQ_NONE, REQ_COMMAND, REQ_INTERVAL, REQ_QUIT, REQ_REDRAW } what;
	enum action	 action;	/* REQ_COMMAND: which */
	char		 cmd[32];	/* "worker.drain" */
	char		 arg[64];	/* "w2", or "" for none */
};

/* An action sent to ctld whose effect the status line follows. */
struct ui_track {
	enum action	 action;	/* ACT_NONE: nothing followed */
	char		 id[64];	/* the worker, "" for all */
	int64_t		 since_ms;
	int		 sent;		/* the reply has not come yet */
	double		 restarts[UI_TRACK_WORKERS]; /* rolling restart: counts at start */
	char		 ids[UI_TRACK_WORKERS][33];	/* worker.id: 32 at most */
	int		 nids;
};

struct ui {
	enum ui_mode	 mode;
	char		 sel_id[64];	/* selected worker, "" none */
	int		 sel_pos;	/* its row in the view, for when it goes */
	int		 top;		/* first worker row shown */
	int		 page;		/* worker rows on screen (from layout) */
	enum ui_sort	 sort;
	char		 filter[64];
	char		 edit[64];	/* the filter being typed */
	int		 paused;
	int		 interval_ms;
	int		 read_only;
	const char	*read_only_why;	/* "--read-only", "the read-only socket" */

	enum action	 confirm;	/* UI_CONFIRM: the action asked about */
	char		 confirm_id[64];
	char		 confirm_text[256];

	char		 message[256];
	enum style	 message_style;
	int64_t		 message_until;	/* ms, monotonic; 0: stays */

	struct ui_track	 track;
};

void	ui_init(struct ui *ui, int interval_ms);
/*
 * Applies one curses key to the state, with the current model (for the
 * selection and the impact of an action) at time `now_ms`.  Fills *req.
 */
void	ui_key(struct ui *ui, const struct model *m, int key, int64_t now_ms,
	    struct ui_request *req);
/* Shows a message until now_ms + UI_MESSAGE_MS (`ms` 0: that default). */
void	ui_message(struct ui *ui, int64_t now_ms, enum style st,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The main loop sent a REQ_COMMAND: follow it from now on. */
void	ui_command_sent(struct ui *ui, const struct ui_request *req,
	    int64_t now_ms);
/* The main loop reports ctld's answer to a REQ_COMMAND. */
void	ui_command_result(struct ui *ui, const struct model *m, int ok,
	    const char *worker, const char *error, int64_t now_ms);
/*
 * After a new model: keeps the selection on the same worker, follows
 * the tracked action and ends it when its effect is complete.
 */
void	ui_update(struct ui *ui, const struct model *m, int64_t now_ms);
/* The text of the status line now ("" for none) and its style. */
enum style ui_status_line(const struct ui *ui, const struct model *m,
	    int64_t now_ms, char *buf, size_t size);

/*
 * The workers shown, in display order: indexes into m->workers after
 * the filter and the sort.  Returns how many (at most `max`).
 */
size_t	ui_view(const struct ui *ui, const struct model *m, size_t *idx,
	    size_t max);
/* After a new model: keeps the selection on its worker, or on the same
 * row when that worker went away; selects the first worker at start. */
void	ui_fix_selection(struct ui *ui, const struct model *m);
/* Position of the selected worker in the view, or -1. */
int	ui_selected(const struct ui *ui, const struct model *m);
const char *ui_sort_name(enum ui_sort s);

/* ---- the impact of an action (console-confirm.c) ----------------- */

/*
 * The question asked before `a` on worker `id` ("" for a cluster-wide
 * action): "remove w2: leaves 2 workers, 10 threads".
 */
void	confirm_text(enum action a, const struct model *m, const char *id,
	    char *buf, size_t size);
/* The ctld command of an action ("worker.drain"), or NULL. */
const char *confirm_command(enum action a);
/* The verb shown on the status line ("drain"). */
const char *confirm_verb(enum action a);

#endif
