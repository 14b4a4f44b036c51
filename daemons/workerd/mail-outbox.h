/*
 * mail-outbox.h — mail that must be sent once, kept in PostgreSQL
 * (mail_outbox, migration 005) until the relay accepts it.
 *
 * A job writes its mail as a row in the same statement as its other
 * effects (the report's notification: mail_outbox_add_notified), so a
 * crash can neither lose the mail nor make a second one: a rerun finds
 * the row.  mail-outbox.c holds every statement on mail_outbox, and the
 * only one that writes notifications (that same statement).  It then tries to
 * send it at once; a relay that is down or refuses makes the row wait,
 * and the sweeper of every worker (jobs-sweep.c) tries the due rows
 * again with a pause that doubles after each failure, up to
 * smtp.retry_max_interval, for smtp.retry_for, then gives it up.
 *
 * A job with a row still pending stays 'running' (jobs-run.c records it
 * so); the send that settles its last row makes the job 'done' (or
 * 'failed' when its mail was given up).
 *
 * Once at most, and at least once within smtp.retry_for: a send claims
 * its row first by moving next_at past the time a send may take (twice
 * smtp.timeout), so no two workers send one row at once.  What remains:
 * a worker that dies after the relay accepted a mail and before the row
 * says 'sent' (a window of one UPDATE) leaves it due again when the
 * claim ends, and the mail goes twice.
 */
#ifndef PFO3_MAIL_OUTBOX_H
#define PFO3_MAIL_OUTBOX_H

#include <stdint.h>

struct workerd;

enum mail_outbox_sent {
	MAIL_OUTBOX_ERROR = -1,	/* the database failed */
	MAIL_OUTBOX_NOT_DUE,	/* sent already, given up, or not due (a
				   retry later, or another worker's send) */
	MAIL_OUTBOX_SENT,	/* the relay accepted it now */
	MAIL_OUTBOX_FAILED,	/* the relay failed: tried again later */
};

/* A mail of a job, with the notification that goes with it. */
struct mail_outbox_new {
	const char	*job;		/* the job's id, decimal */
	const char	*kind;		/* notifications.kind and
					   mail_outbox.kind */
	const char	*user;		/* the notified user's id, decimal */
	const char	*notification;	/* its body, JSON text */
	const char	*recipient;
	const char	*subject;
	const char	*body;
};

/*
 * Records the notification and the mail of job `m->job`, each unless a
 * run before did (the unique indexes of migration 005), in one statement,
 * hence one transaction; the mail is given up smtp.retry_for from now.
 * A new mail row is made claimed for the caller, as mail_outbox_send
 * claims one: the caller sends it at once with mail_outbox_send_new.
 * 0 with *notification (the new notification's id, 0 when it was there
 * already), *mail (the outbox row's id, new or old) and *claimed (1: the
 * row is new and claimed); -1 and *cause.
 */
int	mail_outbox_add_notified(struct workerd *w,
	    const struct mail_outbox_new *m, int64_t *notification,
	    int64_t *mail, int *claimed, char **cause);

/* Sends row `id` if it is due.  Pool or sweeper thread. */
enum mail_outbox_sent mail_outbox_send(struct workerd *w, int64_t id,
	    char **cause);
/* Sends row `id`, made and claimed from `m` by mail_outbox_add_notified
 * (*claimed 1) called at `claimed_ms` (clock_mono_ms) or later. */
enum mail_outbox_sent mail_outbox_send_new(struct workerd *w,
	    const struct mail_outbox_new *m, int64_t id, int64_t claimed_ms,
	    char **cause);

/*
 * The sweeper's part: sends the rows that are due, oldest first, until a
 * send fails (the relay is down: the rest can wait for the next sweep),
 * then finishes the jobs whose mail is all settled.
 */
void	mail_outbox_drain(struct workerd *w);

#endif
