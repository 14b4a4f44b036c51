/*
 * notify.h — wakes the requests that wait for a user's new notifications
 * (GET /api/v1/notifications?wait=N) when one is written, by any worker.
 *
 * Writing a notification row fires PostgreSQL's NOTIFY on the channel
 * pfo3_notifications with the user's id (a trigger, migration 003).  One
 * thread per worker LISTENs on its own connection and hands the ids to
 * the event thread, which runs the user's parked requests again
 * (conn_wake_parked).  Parked requests hold no pool thread.
 *
 * While PostgreSQL is unreachable the thread retries every second; once
 * it listens again it wakes every parked request, since a notification
 * may have come meanwhile.
 */
#ifndef PFO3_NOTIFY_H
#define PFO3_NOTIFY_H

struct workerd;

#define NOTIFY_CHANNEL	"pfo3_notifications"

/* Starts the listening thread; -1 with *cause. */
int	notify_start(struct workerd *w, char **cause);
/* Stops it (event thread, before the event base goes). */
void	notify_stop(struct workerd *w);

#endif
