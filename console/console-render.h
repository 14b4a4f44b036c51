/*
 * console-render.h — one frame of the console drawn into a canvas: the
 * header, the workers table, queues, dependencies, events, the status
 * and footer lines, and the help or confirmation box over them.
 *
 * The same code draws the screen and the --batch frame; only the layout
 * (unbounded height, no footer) and the symbol set differ.
 */
#ifndef PFO3_CONSOLE_RENDER_H
#define PFO3_CONSOLE_RENDER_H

#include <stdint.h>

#include "console-canvas.h"
#include "console-layout.h"
#include "status-model.h"
#include "console-theme.h"
#include "console-ui.h"

/* What the frame says about the link to ctld. */
struct render_conn {
	int		 connected;
	const char	*error;		/* why it is not, or NULL */
	int		 retry_in_ms;	/* next attempt, when not connected */
};

struct render_ctx {
	const struct symbols	*sym;
	const struct thresholds	*th;
	struct render_conn	 conn;
	int64_t			 now_ms;
};

/* What the layout needs from a model (longest id and address). */
void	render_need(const struct model *m, struct layout_need *need);
/* Draws everything; the canvas must be l->rows × l->cols. */
void	render_frame(struct canvas *c, const struct layout *l,
	    const struct model *m, const struct ui *ui,
	    const struct render_ctx *rc);

/* The panels (console-render-*.c). */
void	render_header(struct canvas *c, const struct layout *l,
	    const struct model *m, const struct ui *ui,
	    const struct render_ctx *rc);
void	render_workers(struct canvas *c, const struct layout *l,
	    const struct model *m, const struct ui *ui,
	    const struct render_ctx *rc);
void	render_queues(struct canvas *c, const struct box *b,
	    const struct model *m, const struct render_ctx *rc);
void	render_deps(struct canvas *c, const struct box *b, int compact,
	    const struct model *m, const struct render_ctx *rc);
void	render_events(struct canvas *c, const struct box *b,
	    const struct model *m);
/* The help screen or the confirmation box, over the frame. */
void	render_overlay(struct canvas *c, const struct ui *ui,
	    const struct render_ctx *rc);

#endif
