/*
 * wlink.c — see wlink.h.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "clock.h"
#include "ctl.h"
#include "wlink.h"
#include "xmalloc.h"

struct wlink_req {
	TAILQ_ENTRY(wlink_req)	 entry;
	char			*cmd;
	wlink_cb		 cb;
	void			*arg;
	int			 sent;
};
TAILQ_HEAD(wlink_reqs, wlink_req);

struct wlink {
	struct event_base	*base;
	char			*path;
	size_t			 max_line;
	int			 timeout_ms;
	struct bufferevent	*bev;
	int			 connected;
	struct wlink_reqs	 reqs;
	int			 npending;
	struct event		*kick;		/* sends, or reports failures */
	char			*failure;	/* to report from `kick` */
};

static void	wlink_kick(struct wlink *l);

static void
wlink_close(struct wlink *l)
{
	if (l->bev != NULL)
		bufferevent_free(l->bev);
	l->bev = NULL;
	l->connected = 0;
}

/* Fails every request: the connection is gone.  Runs the callbacks. */
static void
wlink_fail_all(struct wlink *l, const char *why)
{
	struct wlink_reqs	 reqs;
	struct wlink_req	*r;

	wlink_close(l);
	TAILQ_INIT(&reqs);
	TAILQ_CONCAT(&reqs, &l->reqs, entry);
	l->npending = 0;
	while ((r = TAILQ_FIRST(&reqs)) != NULL) {
		TAILQ_REMOVE(&reqs, r, entry);
		if (r->cb != NULL)
			r->cb(NULL, why, r->arg);
		free(r->cmd);
		free(r);
	}
}

static void
wlink_read_cb(struct bufferevent *bev, void *arg)
{
	struct wlink		*l = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct wlink_req	*r;
	json_t			*rep;
	char			*line, *cause = NULL;
	size_t			 len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		rep = ctl_frame_decode_reply(line, len, &cause);
		free(line);
		if (rep == NULL) {
			char *why = xasprintf("bad reply: %s", cause);

			free(cause);
			wlink_fail_all(l, why);
			free(why);
			return;
		}
		if ((r = TAILQ_FIRST(&l->reqs)) == NULL || !r->sent) {
			json_decref(rep);
			wlink_fail_all(l, "reply to no request");
			return;
		}
		TAILQ_REMOVE(&l->reqs, r, entry);
		l->npending--;
		if (r->cb != NULL)
			r->cb(rep, NULL, r->arg);
		json_decref(rep);
		free(r->cmd);
		free(r);
		if (l->bev == NULL)
			return;
	}
	if (evbuffer_get_length(in) > l->max_line)
		wlink_fail_all(l, "reply line too long");
	else if (TAILQ_EMPTY(&l->reqs))
		bufferevent_set_timeouts(l->bev, NULL, NULL);
}

static void
wlink_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct wlink	*l = arg;
	char		*why;

	if (what & BEV_EVENT_CONNECTED) {
		l->connected = 1;
		wlink_kick(l);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		why = xasprintf("no reply within %d ms", l->timeout_ms);
	else if (what & BEV_EVENT_EOF)
		why = xstrdup("connection closed");
	else
		why = xasprintf("%s: %s", l->path,
		    strerror(EVUTIL_SOCKET_ERROR()));
	wlink_fail_all(l, why);
	free(why);
}

/* Opens the connection; on failure reports it from the kick event. */
static void
wlink_connect(struct wlink *l)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(l->path) >= sizeof sun.sun_path) {
		l->failure = xstrdup("control socket path too long");
		return;
	}
	strcpy(sun.sun_path, l->path);
	l->bev = bufferevent_socket_new(l->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (l->bev == NULL) {
		l->failure = xstrdup("bufferevent_socket_new failed");
		return;
	}
	bufferevent_setcb(l->bev, wlink_read_cb, NULL, wlink_event_cb, l);
	bufferevent_setwatermark(l->bev, EV_READ, 0, l->max_line + 1);
	clock_timeval(&tv, l->timeout_ms);
	bufferevent_set_timeouts(l->bev, &tv, &tv);
	if (bufferevent_socket_connect(l->bev, (struct sockaddr *)&sun,
	    sizeof sun) == -1) {
		l->failure = xasprintf("%s: %s", l->path, strerror(errno));
		wlink_close(l);
		return;
	}
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
}

/* Sends what is queued, connecting first; runs from the kick event or
 * once connected, never inside wlink_call. */
static void
wlink_flush(struct wlink *l)
{
	struct wlink_req	*r;
	struct timeval		 tv;
	char			*why;

	if (l->failure != NULL) {
		why = l->failure;
		l->failure = NULL;
		wlink_fail_all(l, why);
		free(why);
		return;
	}
	if (TAILQ_EMPTY(&l->reqs))
		return;
	if (l->bev == NULL) {
		wlink_connect(l);
		if (l->failure != NULL)
			wlink_kick(l);
		return;
	}
	if (!l->connected)
		return;
	clock_timeval(&tv, l->timeout_ms);
	bufferevent_set_timeouts(l->bev, &tv, &tv);
	TAILQ_FOREACH(r, &l->reqs, entry) {
		if (r->sent)
			continue;
		evbuffer_add_printf(bufferevent_get_output(l->bev),
		    "{\"cmd\":\"%s\"}\n", r->cmd);
		r->sent = 1;
	}
}

static void
wlink_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	wlink_flush(arg);
}

static void
wlink_kick(struct wlink *l)
{
	event_active(l->kick, EV_TIMEOUT, 1);
}

struct wlink *
wlink_new(struct event_base *base, const char *path, size_t max_line,
    int timeout_ms)
{
	struct wlink *l;

	l = xcalloc(1, sizeof *l);
	l->base = base;
	l->path = xstrdup(path);
	l->max_line = max_line;
	l->timeout_ms = timeout_ms;
	TAILQ_INIT(&l->reqs);
	if ((l->kick = event_new(base, -1, 0, wlink_kick_cb, l)) == NULL) {
		free(l->path);
		free(l);
		return NULL;
	}
	return l;
}

void
wlink_call(struct wlink *l, const char *cmd, wlink_cb cb, void *arg)
{
	struct wlink_req *r;

	r = xcalloc(1, sizeof *r);
	r->cmd = xstrdup(cmd);	/* command names need no JSON escaping */
	r->cb = cb;
	r->arg = arg;
	TAILQ_INSERT_TAIL(&l->reqs, r, entry);
	l->npending++;
	wlink_kick(l);
}

int
wlink_pending(const struct wlink *l)
{
	return l->npending;
}

void
wlink_reset(struct wlink *l)
{
	struct wlink_req *r;

	wlink_close(l);
	while ((r = TAILQ_FIRST(&l->reqs)) != NULL) {
		TAILQ_REMOVE(&l->reqs, r, entry);
		free(r->cmd);
		free(r);
	}
	l->npending = 0;
	free(l->failure);
	l->failure = NULL;
}

void
wlink_free(struct wlink *l)
{
	if (l == NULL)
		return;
	wlink_reset(l);
	event_free(l->kick);
	free(l->failure);
	free(l->path);
	free(l);
}
