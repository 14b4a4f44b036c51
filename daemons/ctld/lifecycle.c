/*
 * lifecycle.c — the table of a worker's life: for each state, the events
 * it accepts, the state each one leads to and what HAProxy is told.  Pure
 * data and lookups, no I/O.  See lifecycle.h; doc/DESIGN.md shows it.
 */
#include <stddef.h>

#include "lifecycle.h"

struct lifecycle_cell {
	int		 valid;
	enum wstate	 next;
	enum lb_action	 lb;
};

#define TO(s, a)	{ 1, (s), (a) }

/* A pair not listed is refused: the worker stays as it is. */
static const struct lifecycle_cell lifecycle_table[WS_COUNT][WE_COUNT] = {
	[WS_STARTING] = {
		[WE_SPAWNED] =		TO(WS_STARTING, LB_NONE),
		[WE_READY] =		TO(WS_UP, LB_ENABLE),
		[WE_FOUND_DRAINING] =	TO(WS_DRAINING, LB_NONE),
		[WE_NOT_READY] =	TO(WS_FAILED, LB_NONE),
		/* worker.remove of a worker still starting. */
		[WE_DRAIN] =		TO(WS_DRAINING, LB_DRAIN),
		[WE_RESTART] =		TO(WS_STOPPING, LB_DRAIN),
		[WE_STOP] =		TO(WS_STOPPING, LB_NONE),
		[WE_REMOVE] =		TO(WS_STARTING, LB_DISABLE),
		[WE_EXITED] =		TO(WS_FAILED, LB_NONE),
		[WE_SILENT] =		TO(WS_DOWN, LB_NONE),
	},
	[WS_UP] = {
		[WE_DRAIN] =		TO(WS_DRAINING, LB_DRAIN),
		[WE_RESYNC] =		TO(WS_UP, LB_ENABLE),
		[WE_RESTART] =		TO(WS_STOPPING, LB_DRAIN),
		[WE_STOP] =		TO(WS_STOPPING, LB_NONE),
		[WE_REMOVE] =		TO(WS_UP, LB_DISABLE),
		[WE_EXITED] =		TO(WS_DOWN, LB_NONE),
		[WE_SILENT] =		TO(WS_DOWN, LB_NONE),
	},
	[WS_DRAINING] = {
		[WE_IDLE] =		TO(WS_DRAINED, LB_NONE),
		[WE_RESUME] =		TO(WS_UP, LB_READY),
		[WE_RESTART] =		TO(WS_STOPPING, LB_DRAIN),
		[WE_STOP] =		TO(WS_STOPPING, LB_NONE),
		[WE_REMOVE] =		TO(WS_DRAINING, LB_DISABLE),
		[WE_EXITED] =		TO(WS_DOWN, LB_NONE),
		[WE_SILENT] =		TO(WS_DOWN, LB_NONE),
	},
	[WS_DRAINED] = {
		[WE_RESUME] =		TO(WS_UP, LB_READY),
		[WE_RESTART] =		TO(WS_STOPPING, LB_DRAIN),
		[WE_STOP] =		TO(WS_STOPPING, LB_NONE),
		[WE_REMOVE] =		TO(WS_DRAINED, LB_DISABLE),
		[WE_EXITED] =		TO(WS_DOWN, LB_NONE),
		[WE_SILENT] =		TO(WS_DOWN, LB_NONE),
	},
	[WS_STOPPING] = {
		/* Stopped for a restart: started again at once. */
		[WE_SPAWNED] =		TO(WS_STARTING, LB_NONE),
		/* SIGTERM again (pfo3-ctld stops during a restart). */
		[WE_STOP] =		TO(WS_STOPPING, LB_NONE),
		[WE_EXITED] =		TO(WS_DOWN, LB_NONE),
	},
	[WS_DOWN] = {
		[WE_SPAWNED] =		TO(WS_STARTING, LB_NONE),
		/* A remote worker heard from again. */
		[WE_READY] =		TO(WS_UP, LB_ENABLE),
		[WE_REMOVE] =		TO(WS_DOWN, LB_DISABLE),
	},
	[WS_FAILED] = {
		[WE_SPAWNED] =		TO(WS_STARTING, LB_NONE),
		/* Killed for not being ready, not reaped yet. */
		[WE_RESTART] =		TO(WS_STOPPING, LB_DRAIN),
		[WE_STOP] =		TO(WS_STOPPING, LB_NONE),
		[WE_REMOVE] =		TO(WS_FAILED, LB_DISABLE),
		[WE_EXITED] =		TO(WS_FAILED, LB_NONE),
	},
};

static const char *const lifecycle_states[WS_COUNT] = {
	[WS_STARTING] = "starting",
	[WS_UP] = "up",
	[WS_DRAINING] = "draining",
	[WS_DRAINED] = "drained",
	[WS_STOPPING] = "stopping",
	[WS_DOWN] = "down",
	[WS_FAILED] = "failed",
};

static const char *const lifecycle_events[WE_COUNT] = {
	[WE_SPAWNED] = "spawned",
	[WE_READY] = "ready",
	[WE_FOUND_DRAINING] = "found-draining",
	[WE_NOT_READY] = "not-ready",
	[WE_DRAIN] = "drain",
	[WE_IDLE] = "idle",
	[WE_RESUME] = "resume",
	[WE_RESYNC] = "resync",
	[WE_RESTART] = "restart",
	[WE_STOP] = "stop",
	[WE_REMOVE] = "remove",
	[WE_EXITED] = "exited",
	[WE_SILENT] = "silent",
};

static const char *const lifecycle_lbs[LB_COUNT] = {
	[LB_NONE] = "none",
	[LB_ENABLE] = "enable",
	[LB_DRAIN] = "drain",
	[LB_READY] = "ready",
	[LB_DISABLE] = "disable",
};

int
lifecycle_next(enum wstate s, enum wevent ev, struct lifecycle_step *step)
{
	const struct lifecycle_cell *cell;

	if ((unsigned)s >= WS_COUNT || (unsigned)ev >= WE_COUNT)
		return -1;
	cell = &lifecycle_table[s][ev];
	if (!cell->valid)
		return -1;
	step->next = cell->next;
	step->lb = cell->lb;
	return 0;
}

int
lifecycle_allows(enum wstate s, enum wevent ev)
{
	struct lifecycle_step step;

	return lifecycle_next(s, ev, &step) == 0;
}

const char *
lifecycle_state_name(enum wstate s)
{
	return (unsigned)s < WS_COUNT ? lifecycle_states[s] : "?";
}

const char *
lifecycle_event_name(enum wevent ev)
{
	return (unsigned)ev < WE_COUNT ? lifecycle_events[ev] : "?";
}

const char *
lifecycle_lb_name(enum lb_action a)
{
	return (unsigned)a < LB_COUNT ? lifecycle_lbs[a] : "?";
}
