/*
 * ctl-server.c — the server side of the control protocol, on libevent:
 * the listening socket, the command table with its built-ins, and the
 * replies' shape.  Each client ("peer": its request lines, the dispatch
 * of each request to a call, the replies' way out) is ctl-peer.c's.
 *
 * Everything here runs on the thread of the event base given to
 * ctl_server_new; nothing is locked.
 *
 * A client (a "peer") has at most one call in progress.  While a handler
 * holds a call, further request lines stay in the peer's input buffer, so
 * replies come back in request order even when a handler answers from a
 * later event.  The input buffer is capped at one maximal line (read
 * watermark): a client pipelining faster than we answer is simply not
 * read until we catch up, and an oversized line is recognised as soon as
 * the cap is reached, without buffering the rest of it.
 *
 * Re-entrancy: a handler may answer its call before returning, or answer
 * another peer's call.  So a peer is never freed from inside
 * ctl_call_reply and friends (ctl-call.c); through ctl_server_send,
 * ctl_server_unhook and ctl_server_resume they only set flags and schedule
 * the peer's `resume` event, and peers are freed only from the top of a
 * libevent callback (peer_settle).
 *
 * libevent writes with writev(2), which raises SIGPIPE when a client has
 * gone: a daemon serving this protocol must ignore SIGPIPE.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "ctl.h"
#include "ctl-server-int.h"
#include "log.h"
#include "net.h"
#include "xmalloc.h"

#define CTL_SERVER_BACKLOG	16
/* Seconds the listener pauses after accept fails (out of descriptors). */
#define CTL_SERVER_ACCEPT_PAUSE	1

static void	ctl_server_help(struct ctl_call *);
static void	ctl_server_ping(struct ctl_call *);

static const struct ctl_command ctl_server_builtins[] = {
	{ "help", "", 0, 0, CTL_READ,
	  "List every command with its arguments, access and help.",
	  ctl_server_help },
	{ "ping", "", 0, 0, CTL_READ,
	  "Answer {\"pong\":true}: checks that the daemon is serving.",
	  ctl_server_ping },
	{ NULL, NULL, 0, 0, CTL_READ, NULL, NULL },
};

/* ---- replies ------------------------------------------------------- */

/*
 * Accepts the outcome, the protocol version to stamp and the command's
 * fields (stolen, may be NULL).  "ok" and "v" come first and cannot be
 * overridden by a handler's fields.
 */
json_t *
ctl_server_reply_new(int ok, int version, json_t *fields)
{
	json_t		*rep, *value;
	const char	*key;

	rep = json_object();
	json_object_set_new(rep, "ok", json_boolean(ok));
	json_object_set_new(rep, "v", json_integer(version));
	if (fields != NULL) {
		json_object_foreach(fields, key, value) {
			if (strcmp(key, "ok") != 0 && strcmp(key, "v") != 0)
				json_object_set(rep, key, value);
		}
		json_decref(fields);
	}
	return rep;
}

/*
 * Accepts any C string; returns it as a JSON string.  Error messages can
 * quote a client's bytes (jansson's "near '…'"), which need not be UTF-8:
 * such bytes become '?' rather than losing the whole message.
 */
static json_t *
ctl_server_string(const char *msg)
{
	json_t	*s;
	char	*copy, *p;

	if ((s = json_string(msg)) != NULL)
		return s;
	copy = xstrdup(msg);
	for (p = copy; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	}
	s = json_string(copy);
	free(copy);
	return s;
}

/* Accepts the version to stamp and a sentence; returns a failed reply. */
json_t *
ctl_server_reply_error(int version, const char *msg)
{
	json_t	*rep;

	rep = ctl_server_reply_new(0, version, NULL);
	json_object_set_new(rep, "error", ctl_server_string(msg));
	return rep;
}

/* ---- accepting ----------------------------------------------------- */

/* Refuses a client over the limit with one error line, then closes. */
static void
ctl_server_refuse(struct ctl_server *srv, evutil_socket_t fd)
{
	json_t	*rep;
	char	*line, *msg;
	size_t	 len;

	msg = xasprintf("too many control clients (max %d)", srv->max_clients);
	rep = ctl_server_reply_error(CTL_PROTO_VERSION, msg);
	line = ctl_frame_encode(rep, &len);
	/* A fresh socket's buffer takes a short line whole; if not, the
	 * client just sees the close. */
	(void)send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	log_warnx("control: %s: refused a client", msg);
	free(line);
	free(msg);
	json_decref(rep);
}

static void
ctl_server_accept_cb(struct evconnlistener *listener, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct ctl_server	*srv = arg;

	(void)listener;
	(void)sa;
	(void)salen;
	if (srv->nclients >= srv->max_clients) {
		ctl_server_refuse(srv, fd);
		return;
	}

	ctl_peer_new(srv, fd);
}

static void
ctl_server_accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_server	*srv = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(srv->listener);
}

/*
 * accept() failed, most likely out of descriptors.  The listening socket
 * stays readable, so pause instead of spinning on it.
 */
static void
ctl_server_accept_error_cb(struct evconnlistener *listener, void *arg)
{
	struct ctl_server	*srv = arg;
	struct timeval		 tv = { CTL_SERVER_ACCEPT_PAUSE, 0 };

	log_warn("control: accept on %s", srv->path);
	evconnlistener_disable(listener);
	evtimer_add(srv->accept_retry, &tv);
}

/* ---- the server ---------------------------------------------------- */

/*
 * Copies the caller's rows and appends the built-ins it does not define;
 * the copy is what lookups and `help` use.
 */
static struct ctl_command *
ctl_server_table(const struct ctl_command *table)
{
	const struct ctl_command	*cmd, *b;
	struct ctl_command		*all;
	size_t				 n = 0, nb, i;

	for (cmd = table; cmd->name != NULL; cmd++)
		n++;
	nb = sizeof ctl_server_builtins / sizeof ctl_server_builtins[0];
	all = xcalloc(n + nb, sizeof *all);
	memcpy(all, table, n * sizeof *all);
	i = n;
	for (b = ctl_server_builtins; b->name != NULL; b++) {
		for (cmd = table; cmd->name != NULL; cmd++) {
			if (strcmp(cmd->name, b->name) == 0)
				break;
		}
		if (cmd->name == NULL)
			all[i++] = *b;
	}
	/* all[i] stays zeroed: the terminating row. */
	return all;
}

/*
 * Accepts an event base, the socket path and mode, the access level of
 * this socket, a NULL-name-terminated table that outlives the server, the
 * handlers' context and the limits from struct conf_control.
 */
struct ctl_server *
ctl_server_new(struct event_base *base, const char *path, mode_t mode,
    enum ctl_access level, const struct ctl_command *table, void *ctx,
    size_t max_line, int max_clients, char **cause)
{
	struct ctl_server	*srv;
	int			 fd;

	if (max_line == 0 || max_clients < 1) {
		*cause = xasprintf("control socket %s: max_line and "
		    "max_clients must be positive", path);
		return NULL;
	}
	if ((fd = net_listen_unix(path, mode, CTL_SERVER_BACKLOG, cause)) == -1)
		return NULL;

	srv = xcalloc(1, sizeof *srv);
	srv->base = base;
	srv->path = xstrdup(path);
	srv->level = level;
	srv->table = ctl_server_table(table);
	srv->ctx = ctx;
	srv->max_line = max_line;
	srv->out_max = CTL_SERVER_OUT_MAX;
	if (max_line < SIZE_MAX / 4 && srv->out_max < 4 * max_line)
		srv->out_max = 4 * max_line;
	srv->max_clients = max_clients;
	TAILQ_INIT(&srv->peers);

	srv->accept_retry = evtimer_new(base, ctl_server_accept_retry_cb, srv);
	srv->listener = evconnlistener_new(base, ctl_server_accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (srv->accept_retry == NULL || srv->listener == NULL) {
		*cause = xasprintf("control socket %s: cannot set up the "
		    "listener", path);
		if (srv->listener == NULL)
			close(fd);
		ctl_server_free(srv);
		return NULL;
	}
	evconnlistener_set_error_cb(srv->listener, ctl_server_accept_error_cb);
	log_debug("control socket %s (%s) ready", path, ctl_access_name(level));
	return srv;
}

/*
 * Accepts a server (or NULL).  Not to be called from inside a handler:
 * handlers still holding calls are told through on_close.
 */
void
ctl_server_free(struct ctl_server *srv)
{
	struct ctl_peer	*peer;

	if (srv == NULL)
		return;
	while ((peer = TAILQ_FIRST(&srv->peers)) != NULL)
		ctl_peer_free(peer);
	if (srv->listener != NULL)
		evconnlistener_free(srv->listener);
	if (srv->accept_retry != NULL)
		event_free(srv->accept_retry);
	if (unlink(srv->path) != 0 && errno != ENOENT)
		log_warn("unlink %s", srv->path);
	free(srv->table);
	free(srv->path);
	free(srv);
}

/* ---- built-ins ----------------------------------------------------- */

static void
ctl_server_help(struct ctl_call *call)
{
	json_t	*fields;

	fields = json_object();
	json_object_set_new(fields, "commands",
	    ctl_table_json(ctl_call_peer(call)->srv->table));
	/* The level of this socket, so a client (the console) knows before
	 * offering an action whether it would be refused. */
	json_object_set_new(fields, "access",
	    json_string(ctl_access_name(ctl_call_peer(call)->srv->level)));
	ctl_call_reply(call, fields);
}

static void
ctl_server_ping(struct ctl_call *call)
{
	json_t	*fields;

	fields = json_object();
	json_object_set_new(fields, "pong", json_true());
	ctl_call_reply(call, fields);
}
