/*
 * console-watch.h — the console's links to pfo3-ctld.
 *
 * The watch link holds one `watch INTERVAL_MS` stream: ctld pushes a
 * status object per interval and the console sleeps in poll() on that
 * socket and the terminal, with no timer of its own.  When the link
 * breaks (ctld restarts, a line is malformed, nothing came for three
 * intervals) it is closed and retried every WATCH_RETRY_MS.
 *
 * Actions go over a second, short-lived connection: a connection
 * carries one call at a time, and the watch call never ends.
 */
#ifndef PFO3_CONSOLE_WATCH_H
#define PFO3_CONSOLE_WATCH_H

#include <poll.h>
#include <stdint.h>

#include <jansson.h>

/* Between two connection attempts, ms. */
#define WATCH_RETRY_MS		1000
/* A call on a fresh connection (help) or an action reply, ms. */
#define WATCH_CALL_MS		5000
/* Intervals without a status before the link counts as dead. */
#define WATCH_STALL_INTERVALS	3

struct watch;

struct watch *watch_new(const char *path, int interval_ms);
void	watch_free(struct watch *w);

/* Adds the link's sockets to fds (room for 2); returns the poll timeout
 * in ms the link needs (-1: none). */
int	watch_pollfds(struct watch *w, struct pollfd *fds, int *nfds,
	    int64_t now_ms);
/*
 * Does what is due after poll: connects when a retry is due, reads every
 * status line that arrived and every action reply.  Returns the newest
 * status (caller decrefs) or NULL.  *reply is set to an action's reply
 * (caller decrefs) when one came; it is an {"ok":false,"error":…} object
 * when the action link failed.
 */
json_t	*watch_service(struct watch *w, int64_t now_ms, json_t **reply);
/* Reopens the stream with a new interval. */
void	watch_set_interval(struct watch *w, int interval_ms, int64_t now_ms);
/* Sends an action on its own connection; -1 with *cause when it cannot
 * (another action is still waiting, or ctld is unreachable). */
int	watch_action(struct watch *w, const char *cmd, const char *arg,
	    int64_t now_ms, char **cause);

int	watch_connected(const struct watch *w);
/* 1 when ctld said this socket is read-only. */
int	watch_read_only(const struct watch *w);
/* Why the link is down, or NULL. */
const char *watch_error(const struct watch *w);
/* ms until the next attempt (0 when connected or due). */
int	watch_retry_in(const struct watch *w, int64_t now_ms);

#endif
