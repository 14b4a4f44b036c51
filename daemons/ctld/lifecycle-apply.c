/*
 * lifecycle-apply.c — the one place where a worker's state changes: an
 * event is looked up in the table (lifecycle.c), HAProxy is told what the
 * step says (lb_carry), the change goes to the journal and the listeners
 * hear of it.  See lifecycle.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "ctld.h"
#include "journal.h"
#include "lifecycle.h"
#include "log.h"
#include "xmalloc.h"

int
lifecycle_listen(struct ctld *c, lifecycle_listener fn, void *arg)
{
	if (c->nlisteners == CTLD_LISTENERS)
		return -1;
	c->listeners[c->nlisteners].fn = fn;
	c->listeners[c->nlisteners].arg = arg;
	c->nlisteners++;
	return 0;
}

/* -1, with the reason in *cause or, when the caller wants none, logged. */
static int
lifecycle_refuse(struct worker *w, char **cause, char *why)
{
	if (cause != NULL)
		*cause = why;
	else {
		log_warnx("%s: %s", w->id, why);
		free(why);
	}
	return -1;
}

int
lifecycle_apply(struct worker *w, enum wevent ev, const char *why,
    char **cause)
{
	struct ctld		*c = w->ctld;
	struct lifecycle_step	 step;
	enum wstate		 from = w->state;
	char			*lb_error = NULL;
	int			 i;

	/* Back in rotation would undo the stop or the removal. */
	if (ev == WE_READY && (c->stopping || w->op == OP_REMOVE))
		return 0;
	if (lifecycle_next(from, ev, &step) == -1)
		return lifecycle_refuse(w, cause, xasprintf("%s is %s: "
		    "cannot take '%s'", w->id, lifecycle_state_name(from),
		    lifecycle_event_name(ev)));
	if (lb_carry(c, w, step.lb, &lb_error) == -1) {
		if (step.lb != LB_ENABLE)
			return lifecycle_refuse(w, cause, lb_error);
		/* It serves even so: the refresh tick enables it again. */
		snprintf(w->last_error, sizeof w->last_error, "%s", lb_error);
		if (step.next != from)
			journal_add(&c->journal, "%s: %s", w->id, lb_error);
		free(lb_error);
	}
	if (step.next == from)
		return 0;
	w->state = step.next;
	w->state_ms = clock_mono_ms();
	if (why != NULL)
		journal_add(&c->journal, "%s %s (%s)", w->id,
		    lifecycle_state_name(w->state), why);
	else
		journal_add(&c->journal, "%s %s", w->id,
		    lifecycle_state_name(w->state));
	/* Listeners must not free `w`: the next one gets it too. */
	for (i = 0; i < c->nlisteners; i++)
		c->listeners[i].fn(w, from, c->listeners[i].arg);
	return 0;
}
