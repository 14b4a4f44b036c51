/*
 * ctl-server-int.h — what ctl-server.c and ctl-call.c share; private to
 * the server side of the control protocol, not part of ctl.h.
 *
 * ctl-server.c owns the clients ("peers"): their sockets, request lines
 * and output.  ctl-call.c owns the calls handed to handlers.  A peer holds
 * at most one call; each file sees the other's struct only through the
 * functions below, so struct ctl_peer and struct ctl_call stay private to
 * their own file.
 */
#ifndef PFO3_CTL_SERVER_INT_H
#define PFO3_CTL_SERVER_INT_H

#include <sys/types.h>

#include <jansson.h>

#include "ctl.h"

#include <sys/queue.h>

#include <event2/event.h>
#include <event2/listener.h>

/* A client that lets this much output pile up is not reading: drop it. */
#define CTL_SERVER_OUT_MAX	(4 * 1024 * 1024)

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

/* ---- ctl-server.c ---------------------------------------------------- */

/* A reply object: "ok", "v", then `fields` (stolen, may be NULL). */
json_t	*ctl_server_reply_new(int ok, int version, json_t *fields);
/* A failed reply whose "error" is `msg`. */
json_t	*ctl_server_reply_error(int version, const char *msg);
/* Queues `rep` (stolen) to a peer; -1 when the peer was dropped. */
int	 ctl_server_send(struct ctl_peer *peer, json_t *rep);
/* The peer's call is over: the peer no longer points at it. */
void	 ctl_server_unhook(struct ctl_peer *peer);
/* Lets the peer go on with its next buffered request. */
void	 ctl_server_resume(struct ctl_peer *peer);

/* ---- ctl-peer.c ------------------------------------------------------ */

/* A peer for the client accepted on `fd` (closed on failure). */
void	 ctl_peer_new(struct ctl_server *srv, evutil_socket_t fd);
/* Frees the peer now; its call, if any, is orphaned (on_close). */
void	 ctl_peer_free(struct ctl_peer *peer);

/* ---- ctl-call.c ------------------------------------------------------ */

/* A call for `peer` running `cmd`; `req` (stolen) holds `args`. */
struct ctl_call *ctl_call_new(struct ctl_peer *peer,
	    const struct ctl_command *cmd, json_t *req, json_t *args,
	    int nargs, int version, void *ctx, uid_t uid, pid_t pid);
/* The call's peer has been freed: tells the handler through on_close. */
void	 ctl_call_orphan(struct ctl_call *call);
/* The call's peer; NULL once the client left. */
struct ctl_peer *ctl_call_peer(const struct ctl_call *call);
/* Logs the outcome of an admin command (others are not logged). */
void	 ctl_call_audit(const struct ctl_command *cmd, uid_t uid, pid_t pid,
	    const json_t *args, const char *result);

#endif
