/*
 * ctl-server.c — the server side of the control protocol, on libevent:
 * the listening socket, its clients ("peers"), their request lines, the
 * dispatch of each request to a call (ctl-call.c) and the replies' way
 * out.
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
/* A client that lets this much output pile up is not reading: drop it. */
#define CTL_SERVER_OUT_MAX	(4 * 1024 * 1024)
/* Seconds a client may leave pending output unread. */
#define CTL_SERVER_WRITE_TIMEOUT 30
/* Seconds the listener pauses after accept fails (out of descriptors). */
#define CTL_SERVER_ACCEPT_PAUSE	1

struct ctl_peer {
	struct ctl_server	*srv;
	struct bufferevent	*bev;
	struct event		*resume;	/* deferred processing/closing */
	uid_t			 uid;
	pid_t			 pid;
	struct ctl_call		*call;		/* the call in progress */
	int			 processing;	/* inside peer_process */
	int			 discarding;	/* skipping an oversized line */
	int			 eof;		/* client shut its side down */
	int			 closing;	/* close once output is sent */
	int			 drop;		/* close now */
	TAILQ_ENTRY(ctl_peer)	 entry;
};

struct ctl_server {
	struct event_base	*base;
	struct evconnlistener	*listener;
	struct event		*accept_retry;
	char			*path;
	enum ctl_access		 level;
	struct ctl_command	*table;		/* caller's rows + built-ins */
	void			*ctx;
	size_t			 max_line;
	size_t			 out_max;
	int			 max_clients;
	int			 nclients;
	TAILQ_HEAD(, ctl_peer)	 peers;
};

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

/* ---- peers --------------------------------------------------------- */

/* Asks for peer_process/peer_settle on the next loop iteration. */
static void
peer_wake(struct ctl_peer *peer)
{
	event_active(peer->resume, EV_TIMEOUT, 0);
}

/* Marks a peer for closing without freeing it under our callers' feet. */
static void
peer_drop(struct ctl_peer *peer)
{
	peer->drop = 1;
	bufferevent_disable(peer->bev, EV_READ | EV_WRITE);
	peer_wake(peer);
}

/*
 * Queues `rep` (stolen) to a peer.  Returns -1 when the peer has stopped
 * reading and was dropped for it.  The backlog is checked before writing,
 * so one large reply always goes out; it is a client that leaves replies
 * unread while more arrive (a stream) that gets dropped.
 */
int
ctl_server_send(struct ctl_peer *peer, json_t *rep)
{
	struct evbuffer	*out = bufferevent_get_output(peer->bev);
	char		*line;
	size_t		 len;

	if (peer->drop) {
		json_decref(rep);
		return -1;
	}
	if (evbuffer_get_length(out) > peer->srv->out_max) {
		log_warnx("control client uid %ld pid %ld is not reading "
		    "(%zu bytes unsent): dropped", (long)peer->uid,
		    (long)peer->pid, evbuffer_get_length(out));
		json_decref(rep);
		peer_drop(peer);
		return -1;
	}
	line = ctl_frame_encode(rep, &len);
	json_decref(rep);
	bufferevent_write(peer->bev, line, len);
	free(line);
	return 0;
}

/* Accepts a peer and a sentence; sends an error reply. */
static void
peer_error(struct ctl_peer *peer, int version, const char *msg)
{
	ctl_server_send(peer, ctl_server_reply_error(version, msg));
}

/* Accepts the peer of a call that is over; it no longer points at it. */
void
ctl_server_unhook(struct ctl_peer *peer)
{
	peer->call = NULL;
}

/* Accepts a peer whose call has just been answered. */
void
ctl_server_resume(struct ctl_peer *peer)
{
	/* From a later event: nobody else will look at the buffered input. */
	if (!peer->processing)
		peer_wake(peer);
}

/*
 * Runs one decoded request line of `len` bytes (no newline, no CR): finds
 * the command, checks it and hands a new call to its handler.
 */
static void
peer_request(struct ctl_peer *peer, const char *line, size_t len)
{
	struct ctl_server		*srv = peer->srv;
	const struct ctl_command	*cmd;
	struct ctl_call			*call;
	json_t				*req, *args;
	char				*cause;
	size_t				 nargs;
	int				 version;

	if ((req = ctl_frame_decode_request(line, len, &cause)) == NULL) {
		peer_error(peer, CTL_PROTO_VERSION, cause);
		free(cause);
		return;
	}
	version = (int)json_integer_value(json_object_get(req, "v"));
	args = json_object_get(req, "args");
	nargs = args != NULL ? json_array_size(args) : 0;
	if (nargs > INT_MAX)
		nargs = INT_MAX;

	cmd = ctl_table_lookup(srv->table,
	    json_string_value(json_object_get(req, "cmd")), &cause);
	if (cmd == NULL) {
		peer_error(peer, version, cause);
		free(cause);
		json_decref(req);
		return;
	}
	if (ctl_table_check(cmd, (int)nargs, srv->level, &cause) != 0) {
		ctl_call_audit(cmd, peer->uid, peer->pid, args, cause);
		peer_error(peer, version, cause);
		free(cause);
		json_decref(req);
		return;
	}

	call = ctl_call_new(peer, cmd, req, args, (int)nargs, version,
	    srv->ctx, peer->uid, peer->pid);
	peer->call = call;
	cmd->fn(call);
}

/*
 * Takes the next line from a peer's input and runs it.  Returns 1 when a
 * line (or an oversized fragment) was consumed, 0 when no complete line is
 * buffered.  After EOF a last line without its newline still counts, so
 * `printf '{"cmd":"ping"}' | socat - UNIX-CONNECT:…` gets an answer.
 */
static int
peer_next_line(struct ctl_peer *peer)
{
	struct evbuffer		*in = bufferevent_get_input(peer->bev);
	struct evbuffer_ptr	 eol;
	size_t			 max_line = peer->srv->max_line, eol_len, n;
	char			*line, *msg;

	if (peer->discarding) {
		eol = evbuffer_search(in, "\n", 1, NULL);
		if (eol.pos == -1) {
			evbuffer_drain(in, evbuffer_get_length(in));
			return 0;
		}
		evbuffer_drain(in, (size_t)eol.pos + 1);
		peer->discarding = 0;
	}

	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos != -1)
		n = (size_t)eol.pos;
	else {
		n = evbuffer_get_length(in);
		eol_len = 0;
		/* Room for the line and a CR; anything more cannot fit. */
		if (n > max_line + 1) {
			evbuffer_drain(in, n);
			peer->discarding = 1;
			goto too_long;
		}
		if (!peer->eof || n == 0)
			return 0;
	}
	if (n > max_line + 1) {
		evbuffer_drain(in, n + eol_len);
		goto too_long;
	}

	line = xmalloc(n + 1);
	evbuffer_remove(in, line, n);
	evbuffer_drain(in, eol_len);
	line[n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (n > max_line) {
		free(line);
		goto too_long;
	}
	if (n > 0)		/* blank lines (a stray Enter) are ignored */
		peer_request(peer, line, n);
	free(line);
	return 1;

too_long:
	msg = xasprintf("request too long (max %zu bytes)", max_line);
	peer_error(peer, CTL_PROTO_VERSION, msg);
	free(msg);
	return 1;
}

/* Runs buffered request lines until one leaves its call pending. */
static void
peer_process(struct ctl_peer *peer)
{
	peer->processing = 1;
	while (peer->call == NULL && !peer->drop && !peer->closing) {
		if (peer_next_line(peer) == 0)
			break;
	}
	peer->processing = 0;

	/* Half-closed client: everything it sent is answered, so finish. */
	if (peer->eof && peer->call == NULL && !peer->closing) {
		peer->closing = 1;
		bufferevent_disable(peer->bev, EV_READ);
	}
}

/*
 * Frees a peer.  A call still held by a handler becomes orphaned: its
 * handler hears about it through on_close and must still end it.
 */
static void
peer_free(struct ctl_peer *peer)
{
	struct ctl_server	*srv = peer->srv;
	struct ctl_call		*call = peer->call;

	TAILQ_REMOVE(&srv->peers, peer, entry);
	srv->nclients--;
	log_debug("control client uid %ld pid %ld gone", (long)peer->uid,
	    (long)peer->pid);
	bufferevent_free(peer->bev);
	event_free(peer->resume);
	free(peer);

	if (call != NULL)
		ctl_call_orphan(call);
}

/* Frees the peer if it is done; only from the top of a callback. */
static void
peer_settle(struct ctl_peer *peer)
{
	struct evbuffer	*out = bufferevent_get_output(peer->bev);

	if (peer->drop ||
	    (peer->closing && evbuffer_get_length(out) == 0))
		peer_free(peer);
}

static void
peer_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_peer	*peer = arg;

	(void)bev;
	peer_process(peer);
	peer_settle(peer);
}

static void
peer_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	peer_settle(arg);
}

static void
peer_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_peer	*peer = arg;

	(void)fd;
	(void)what;
	peer_process(peer);
	peer_settle(peer);
}

/*
 * Tells a client that shut down only its sending side (which still wants
 * its replies, as `socat` does) from one that closed the socket: after a
 * full close the kernel reports POLLHUP on our end.
 */
static int
peer_hung_up(struct ctl_peer *peer)
{
	struct pollfd	pfd;

	pfd.fd = bufferevent_getfd(peer->bev);
	pfd.events = POLLOUT;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) == -1)
		return 1;
	return (pfd.revents & (POLLHUP | POLLERR)) != 0;
}

static void
peer_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_peer	*peer = arg;

	if (what & BEV_EVENT_EOF) {
		/* Run what it sent before leaving, then see whether it still
		 * listens for the replies. */
		peer->eof = 1;
		bufferevent_disable(bev, EV_READ);
		peer_process(peer);
		if (peer_hung_up(peer))
			peer_free(peer);
		else
			peer_settle(peer);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		log_warnx("control client uid %ld pid %ld did not read its "
		    "replies for %d s: dropped", (long)peer->uid,
		    (long)peer->pid, CTL_SERVER_WRITE_TIMEOUT);
	} else if (what & BEV_EVENT_ERROR) {
		log_debug("control client uid %ld pid %ld: %s", (long)peer->uid,
		    (long)peer->pid, strerror(errno));
	}
	peer_free(peer);
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
	struct ctl_peer		*peer;
	struct ucred		 cred;
	socklen_t		 credlen = sizeof cred;
	struct timeval		 tv = { CTL_SERVER_WRITE_TIMEOUT, 0 };
	size_t			 high;

	(void)listener;
	(void)sa;
	(void)salen;
	if (srv->nclients >= srv->max_clients) {
		ctl_server_refuse(srv, fd);
		return;
	}

	peer = xcalloc(1, sizeof *peer);
	peer->srv = srv;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) == 0) {
		peer->uid = cred.uid;
		peer->pid = cred.pid;
	} else {
		peer->uid = (uid_t)-1;
		peer->pid = -1;
	}
	peer->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (peer->bev == NULL) {
		log_warnx("control: bufferevent_socket_new failed");
		close(fd);
		free(peer);
		return;
	}
	peer->resume = event_new(srv->base, -1, 0, peer_resume_cb, peer);
	if (peer->resume == NULL)
		fatalx("event_new failed");

	/* One maximal line plus CR LF: see the comment atop this file. */
	high = srv->max_line < SIZE_MAX - 2 ? srv->max_line + 2 : SIZE_MAX;
	bufferevent_setwatermark(peer->bev, EV_READ, 0, high);
	bufferevent_set_timeouts(peer->bev, NULL, &tv);
	bufferevent_setcb(peer->bev, peer_read_cb, peer_write_cb,
	    peer_event_cb, peer);
	bufferevent_enable(peer->bev, EV_READ | EV_WRITE);

	TAILQ_INSERT_TAIL(&srv->peers, peer, entry);
	srv->nclients++;
	log_debug("control client uid %ld pid %ld connected", (long)peer->uid,
	    (long)peer->pid);
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
		peer_free(peer);
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
