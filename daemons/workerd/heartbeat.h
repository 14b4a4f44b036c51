/*
 * heartbeat.h — the worker's stats, published on pfo3.events with the
 * routing key worker.<id>.stats every worker.heartbeat, so that a control
 * daemon on another host sees this worker without reaching its control
 * socket.
 */
#ifndef PFO3_HEARTBEAT_H
#define PFO3_HEARTBEAT_H

struct workerd;
struct heartbeat;

/* Starts the timer (event thread) and the publishing thread; NULL without
 * error when worker.heartbeat is 0; NULL with *cause on failure. */
struct heartbeat *heartbeat_start(struct workerd *w, char **cause);
/* Stops both; a heartbeat being published is given up. */
void	heartbeat_stop(struct heartbeat *hb);

#endif
