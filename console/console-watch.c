/*
 * console-watch.c — the watch stream with reconnection, and the action
 * link (see console-watch.h).
 *
 * Reading never blocks the screen: the sockets are read only after
 * poll() said so, with a zero timeout, and ctl_client_recv's ETIMEDOUT
 * then means "half a line so far", not an error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "console-watch.h"
#include "ctl-field.h"
#include "ctl.h"
#include "xmalloc.h"

struct watch {
	char			*path;
	int			 interval_ms;
	struct ctl_client	*c;		/* the watch stream, or NULL */
	int			 read_only;
	int64_t			 next_try_ms;	/* when disconnected */
	int64_t			 last_data_ms;	/* last status or connect */
	char			*error;		/* why disconnected */

	struct ctl_client	*act;		/* an action waiting, or NULL */
	int64_t			 act_deadline;
};

struct watch *
watch_new(const char *path, int interval_ms)
{
	struct watch	*w = xcalloc(1, sizeof *w);

	w->path = xstrdup(path);
	w->interval_ms = interval_ms;
	return w;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	ctl_client_close(w->c);
	ctl_client_close(w->act);
	free(w->error);
	free(w->path);
	free(w);
}

/* Drops the stream, keeps `cause` (taken) and schedules a retry. */
static void
watch_down(struct watch *w, char *cause, int64_t now_ms)
{
	ctl_client_close(w->c);
	w->c = NULL;
	free(w->error);
	w->error = cause;
	w->next_try_ms = now_ms + WATCH_RETRY_MS;
}

/* Connects, learns the socket's access level, and starts the stream. */
static void
watch_connect(struct watch *w, int64_t now_ms)
{
	const char	*arg[1];
	char		*cause = NULL, ms[16];
	json_t		*rep;

	if ((w->c = ctl_client_connect(w->path, &cause)) == NULL) {
		watch_down(w, cause, now_ms);
		return;
	}
	rep = ctl_client_call(w->c, "help", NULL, 0, WATCH_CALL_MS, &cause);
	if (rep == NULL) {
		watch_down(w, cause, now_ms);
		return;
	}
	w->read_only = strcmp(ctl_field_str(rep, "access", "admin"),
	    "admin") != 0;
	json_decref(rep);
	snprintf(ms, sizeof ms, "%d", w->interval_ms);
	arg[0] = ms;
	if (ctl_client_send(w->c, "watch", arg, 1, &cause) != 0) {
		watch_down(w, cause, now_ms);
		return;
	}
	free(w->error);
	w->error = NULL;
	w->last_data_ms = now_ms;
}

int
watch_pollfds(struct watch *w, struct pollfd *fds, int *nfds, int64_t now_ms)
{
	int64_t	 t = -1, stall;

	if (w->c != NULL) {
		if (ctl_client_pending(w->c))
			return 0;
		fds[*nfds].fd = ctl_client_fd(w->c);
		fds[*nfds].events = POLLIN;
		fds[*nfds].revents = 0;
		(*nfds)++;
		/* Wake up to notice a ctld that hangs without closing. */
		stall = w->last_data_ms + (int64_t)w->interval_ms *
		    WATCH_STALL_INTERVALS + 2000;
		t = stall > now_ms ? stall - now_ms : 0;
	} else
		t = w->next_try_ms > now_ms ? w->next_try_ms - now_ms : 0;
	if (w->act != NULL) {
		if (ctl_client_pending(w->act))
			return 0;
		fds[*nfds].fd = ctl_client_fd(w->act);
		fds[*nfds].events = POLLIN;
		fds[*nfds].revents = 0;
		(*nfds)++;
		if (t == -1 || w->act_deadline - now_ms < t)
			t = w->act_deadline > now_ms ?
			    w->act_deadline - now_ms : 0;
	}
	return t > 60000 ? 60000 : (int)t;
}

/* Reads every whole status line buffered or readable now; keeps the last. */
static json_t *
watch_read(struct watch *w, int64_t now_ms)
{
	json_t	*rep, *last = NULL;
	char	*cause = NULL;

	for (;;) {
		rep = ctl_client_recv(w->c, 0, &cause);
		if (rep == NULL) {
			if (errno == ETIMEDOUT) {
				free(cause);
				break;
			}
			watch_down(w, cause, now_ms);
			break;
		}
		if (!json_is_true(json_object_get(rep, "ok"))) {
			/* ctld refused the watch: say why, try again later. */
			watch_down(w, xasprintf("ctld: %s", ctl_field_str(rep,
			    "error", "watch refused")), now_ms);
			json_decref(rep);
			break;
		}
		json_decref(last);
		last = rep;
		w->last_data_ms = now_ms;
	}
	return last;
}

/* The action's reply, or a made-up failure when its link broke. */
static json_t *
watch_read_action(struct watch *w, int64_t now_ms)
{
	json_t	*rep;
	char	*cause = NULL;

	rep = ctl_client_recv(w->act, 0, &cause);
	if (rep == NULL && errno == ETIMEDOUT && now_ms < w->act_deadline) {
		free(cause);
		return NULL;
	}
	if (rep == NULL) {
		rep = json_pack("{s:b, s:s}", "ok", 0, "error",
		    errno == ETIMEDOUT ? "no answer from ctld in time" : cause);
		free(cause);
	}
	ctl_client_close(w->act);
	w->act = NULL;
	return rep;
}

json_t *
watch_service(struct watch *w, int64_t now_ms, json_t **reply)
{
	json_t	*status = NULL;

	*reply = NULL;
	if (w->act != NULL)
		*reply = watch_read_action(w, now_ms);
	if (w->c == NULL && now_ms >= w->next_try_ms)
		watch_connect(w, now_ms);
	if (w->c == NULL)
		return NULL;
	status = watch_read(w, now_ms);
	if (w->c != NULL && status == NULL && now_ms > w->last_data_ms +
	    (int64_t)w->interval_ms * WATCH_STALL_INTERVALS + 2000)
		watch_down(w, xstrdup("no status from ctld for too long"),
		    now_ms);
	return status;
}

void
watch_set_interval(struct watch *w, int interval_ms, int64_t now_ms)
{
	w->interval_ms = interval_ms;
	if (w->c != NULL) {
		/* A stream's interval is fixed: start a new one at once. */
		ctl_client_close(w->c);
		w->c = NULL;
		w->next_try_ms = now_ms;
	}
}

int
watch_action(struct watch *w, const char *cmd, const char *arg,
    int64_t now_ms, char **cause)
{
	const char	*argv[1] = { arg };

	if (w->act != NULL) {
		*cause = xstrdup("another action is still waiting for ctld");
		return -1;
	}
	if ((w->act = ctl_client_connect(w->path, cause)) == NULL)
		return -1;
	if (ctl_client_send(w->act, cmd, argv, arg != NULL && *arg != '\0' ?
	    1 : 0, cause) != 0) {
		ctl_client_close(w->act);
		w->act = NULL;
		return -1;
	}
	w->act_deadline = now_ms + WATCH_CALL_MS;
	return 0;
}

int
watch_connected(const struct watch *w)
{
	return w->c != NULL;
}

int
watch_read_only(const struct watch *w)
{
	return w->read_only;
}

const char *
watch_error(const struct watch *w)
{
	return w->error;
}

int
watch_retry_in(const struct watch *w, int64_t now_ms)
{
	if (w->c != NULL || w->next_try_ms <= now_ms)
		return 0;
	return (int)(w->next_try_ms - now_ms);
}
