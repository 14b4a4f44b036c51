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

struct ctl_peer;

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
