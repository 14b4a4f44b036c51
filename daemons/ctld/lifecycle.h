/*
 * lifecycle.h — the life of a worker as pfo3-ctld sees it: a table of
 * (state, event) → (new state, HAProxy action), and the one function that
 * moves a worker by it.
 *
 * lifecycle.c holds the table and nothing else (no I/O: tests/unit/
 * test-ctld-lifecycle walks every pair).  lifecycle-apply.c is the one
 * place where a worker's state changes: it looks the event up, carries
 * out the HAProxy action (lb_carry), records the change in the journal
 * and tells the listeners (an action waiting for a worker to come up
 * listens there instead of being called by the supervisor).
 *
 * The supervisor (supervise.c, adopt.c) feeds what happens to processes
 * and what their readiness checks say; the admin actions (action.c) feed
 * what operators ask for; ctld.c feeds the remote workers' heartbeats.
 * doc/DESIGN.md shows the table.
 */
#ifndef PFO3_CTLD_LIFECYCLE_H
#define PFO3_CTLD_LIFECYCLE_H

enum wstate {
	WS_STARTING,	/* spawned (or registered), not ready yet */
	WS_UP,		/* ready and in rotation */
	WS_DRAINING,	/* out of rotation, work still in flight */
	WS_DRAINED,	/* out of rotation and idle */
	WS_STOPPING,	/* asked to exit */
	WS_DOWN,	/* dead (local) or silent (remote) */
	WS_FAILED,	/* did not become ready, or died while starting */
};
#define WS_COUNT	(WS_FAILED + 1)

enum wevent {
	WE_SPAWNED,	/* a process was started for it */
	WE_READY,	/* its readiness check passed, or a heartbeat came */
	WE_FOUND_DRAINING, /* adopted while drained by an operator */
	WE_NOT_READY,	/* not ready within ctld.ready_timeout */
	WE_DRAIN,	/* out of rotation (drain, remove, kept drained) */
	WE_IDLE,	/* draining, and nothing is left in flight */
	WE_RESUME,	/* back in rotation (worker.resume) */
	WE_RESYNC,	/* up, but missing from HAProxy or in maintenance */
	WE_RESTART,	/* out of rotation, then SIGTERM, to start again */
	WE_STOP,	/* sent SIGTERM */
	WE_REMOVE,	/* the last step of worker.remove: out of HAProxy */
	WE_EXITED,	/* its process ended */
	WE_SILENT,	/* a remote worker sent no heartbeat in time */
};
#define WE_COUNT	(WE_SILENT + 1)

/* What HAProxy is told on a transition (for every backend). */
enum lb_action {
	LB_NONE,
	LB_ENABLE,	/* add (or set its address), checks on, ready */
	LB_DRAIN,	/* state drain: no new connection */
	LB_READY,	/* state ready: back in rotation */
	LB_DISABLE,	/* state maint, then del server */
};
#define LB_COUNT	(LB_DISABLE + 1)

struct lifecycle_step {
	enum wstate	 next;
	enum lb_action	 lb;
};

/* lifecycle.c: the table. */
/* 0 with the step `ev` takes from `s`; -1 when `ev` is not valid in `s`
 * (the worker must then stay as it is). */
int	 lifecycle_next(enum wstate s, enum wevent ev,
	    struct lifecycle_step *step);
/* 1 when `ev` is valid in `s`. */
int	 lifecycle_allows(enum wstate s, enum wevent ev);
const char *lifecycle_state_name(enum wstate s);
const char *lifecycle_event_name(enum wevent ev);
const char *lifecycle_lb_name(enum lb_action a);

/* lifecycle-apply.c: the one place a worker's state changes. */
struct ctld;
struct worker;
/*
 * Feeds `ev` to `w`: carries out the HAProxy action, then moves it and
 * journals "ID STATE (why)" when its state changes, then tells the
 * listeners.  -1 with *cause (or a warning when `cause` is NULL) when
 * `ev` is not valid now, or when HAProxy refused a drain, ready or
 * delete: the worker then stays as it was.  An ENABLE that HAProxy
 * refused does not stop the move: its error goes to last_error, and the
 * refresh tick feeds WE_RESYNC.  WE_READY is ignored (0) while pfo3-ctld
 * stops or the worker is being removed.
 */
int	 lifecycle_apply(struct worker *w, enum wevent ev, const char *why,
	    char **cause);
/* Called after every change of a worker's state, with the state before. */
typedef void (*lifecycle_listener)(struct worker *w, enum wstate from,
	    void *arg);
/* Registers a listener (at most CTLD_LISTENERS); -1 when full. */
int	 lifecycle_listen(struct ctld *c, lifecycle_listener fn, void *arg);

#endif
