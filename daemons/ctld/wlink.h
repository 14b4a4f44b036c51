/*
 * wlink.h — a non-blocking client of one worker's control socket, on the
 * event thread: requests are sent in order on one kept-open connection,
 * and each reply line goes to the callback of the oldest request.
 *
 * The connection is opened on the first request and again after any
 * failure.  When it fails (cannot connect, closed, timeout, a bad reply),
 * every request waiting on it gets its callback with reply NULL and the
 * reason.  A callback must not free (nor reset) the link.
 */
#ifndef PFO3_WLINK_H
#define PFO3_WLINK_H

#include <stddef.h>

#include <jansson.h>

struct event_base;
struct wlink;

/* `reply` is borrowed (NULL on failure, `error` then says why). */
typedef void (*wlink_cb)(const json_t *reply, const char *error, void *arg);

/* NULL when libevent cannot make its event. */
struct wlink *wlink_new(struct event_base *base, const char *path,
	    size_t max_line, int timeout_ms);
/* Queues {"cmd":cmd}; the callback (may be NULL) runs later, never from
 * inside this call. */
void	wlink_call(struct wlink *l, const char *cmd, wlink_cb cb, void *arg);
/* Requests not answered yet. */
int	wlink_pending(const struct wlink *l);
/* Closes the connection and drops the waiting requests silently. */
void	wlink_reset(struct wlink *l);
void	wlink_free(struct wlink *l);

#endif
