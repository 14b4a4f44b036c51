/*
 * ctl-peer.c — one client of the control server (a "peer"): its request
 * lines, the dispatch of each to a call (ctl-call.c), the replies' way
 * out, and when it may be freed.  ctl-server.c's comment explains the
 * rules: one call at a time per peer, the input buffer capped at one
 * line, and peers freed only from the top of a libevent callback.
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
#include <jansson.h>

#include "ctl.h"
#include "ctl-server-int.h"
#include "log.h"
#include "xmalloc.h"

/* Seconds a client may leave pending output unread. */
#define CTL_SERVER_WRITE_TIMEOUT 30

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
	ctl_frame_send(peer->bev, rep);
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
void
ctl_peer_free(struct ctl_peer *peer)
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
		ctl_peer_free(peer);
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
			ctl_peer_free(peer);
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
	ctl_peer_free(peer);
}

/* A peer for the client accepted on `fd` (closed on failure). */
void
ctl_peer_new(struct ctl_server *srv, evutil_socket_t fd)
{
	struct ctl_peer		*peer;
	struct ucred		 cred;
	socklen_t		 credlen = sizeof cred;
	struct timeval		 tv = { CTL_SERVER_WRITE_TIMEOUT, 0 };
	size_t			 high;

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
