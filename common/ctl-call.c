/*
 * ctl-call.c — a control call: one request handed to its handler, from
 * the moment the server runs it until the handler ends it.
 *
 * Like the rest of the server side, this runs on the thread of the event
 * base given to ctl_server_new; nothing is locked.
 *
 * A call can outlive its client: when the peer is freed the call is
 * orphaned (its peer becomes NULL) and its handler, told through on_close,
 * must still end it; the reply then goes nowhere.  Ending a call never
 * frees the peer (see the re-entrancy note atop ctl-server.c): it only
 * queues the reply and unhooks and wakes the peer.  Admin commands are
 * audited when their call ends.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "ctl.h"
#include "ctl-server-int.h"
#include "log.h"
#include "xmalloc.h"

struct ctl_call {
	struct ctl_peer			*peer;	/* NULL once the client left */
	const struct ctl_command	*cmd;
	json_t				*req;
	json_t				*args;	/* in req; NULL when absent */
	int				 nargs;
	int				 version;
	void				*ctx;
	uid_t				 uid;
	pid_t				 pid;
	void				(*on_close)(struct ctl_call *, void *);
	void				*on_close_arg;
};

/* Accepts a printf format and its list; returns a malloc'd string. */
static char *
ctl_call_vformat(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

static char *
ctl_call_vformat(const char *fmt, va_list ap)
{
	va_list	 ap2;
	char	*s;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return xstrdup(fmt);
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

/*
 * Logs the outcome of an admin command: who (uid and pid of the peer), what
 * (name and arguments, as JSON so odd bytes cannot forge log lines) and
 * how it ended.
 */
void
ctl_call_audit(const struct ctl_command *cmd, uid_t uid, pid_t pid,
    const json_t *args, const char *result)
{
	json_t	*empty = NULL;
	char	*text;

	if (cmd->access != CTL_ADMIN)
		return;
	if (args == NULL)
		args = empty = json_array();
	text = json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY);
	log_info("control: uid %ld pid %ld: %s %s: %s", (long)uid, (long)pid,
	    cmd->name, text != NULL ? text : "[]", result);
	free(text);
	json_decref(empty);
}

/*
 * Accepts the peer, the checked command, the decoded request (stolen),
 * its "args" array (inside `req`; NULL when absent) and their count, the
 * request's version, the handlers' context and the peer's credentials.
 * The caller hooks the call to its peer and runs the handler.
 */
struct ctl_call *
ctl_call_new(struct ctl_peer *peer, const struct ctl_command *cmd,
    json_t *req, json_t *args, int nargs, int version, void *ctx, uid_t uid,
    pid_t pid)
{
	struct ctl_call	*call;

	call = xcalloc(1, sizeof *call);
	call->peer = peer;
	call->cmd = cmd;
	call->req = req;
	call->args = args;
	call->nargs = nargs;
	call->version = version;
	call->ctx = ctx;
	call->uid = uid;
	call->pid = pid;
	return call;
}

static void
ctl_call_free(struct ctl_call *call)
{
	json_decref(call->req);
	free(call);
}

/*
 * Accepts a call whose peer has just been freed.  The handler still holds
 * the call: it hears about it through on_close and must still end it.
 */
void
ctl_call_orphan(struct ctl_call *call)
{
	call->peer = NULL;
	if (call->on_close != NULL)
		call->on_close(call, call->on_close_arg);
}

/* Accepts a call; returns its peer, NULL once the client left. */
struct ctl_peer *
ctl_call_peer(const struct ctl_call *call)
{
	return call->peer;
}

void *
ctl_call_ctx(const struct ctl_call *call)
{
	return call->ctx;
}

int
ctl_call_nargs(const struct ctl_call *call)
{
	return call->nargs;
}

/* Accepts an index; NULL when there is no such argument. */
const char *
ctl_call_arg(const struct ctl_call *call, int i)
{
	if (i < 0 || i >= call->nargs)
		return NULL;
	return json_string_value(json_array_get(call->args, (size_t)i));
}

const json_t *
ctl_call_request(const struct ctl_call *call)
{
	return call->req;
}

const struct ctl_command *
ctl_call_command(const struct ctl_call *call)
{
	return call->cmd;
}

uid_t
ctl_call_uid(const struct ctl_call *call)
{
	return call->uid;
}

pid_t
ctl_call_pid(const struct ctl_call *call)
{
	return call->pid;
}

/*
 * Ends a call with `rep` (stolen) and lets the peer go on with its next
 * request.  `result` is what the audit log says.
 */
static void
ctl_call_end(struct ctl_call *call, json_t *rep, const char *result)
{
	struct ctl_peer	*peer = call->peer;

	if (peer == NULL) {
		ctl_call_audit(call->cmd, call->uid, call->pid, call->args,
		    "client gone before the reply");
		json_decref(rep);
		ctl_call_free(call);
		return;
	}
	ctl_call_audit(call->cmd, call->uid, call->pid, call->args, result);
	ctl_server_unhook(peer);
	ctl_call_free(call);
	ctl_server_send(peer, rep);
	ctl_server_resume(peer);
}

void
ctl_call_reply(struct ctl_call *call, json_t *fields)
{
	ctl_call_end(call, ctl_server_reply_new(1, call->version, fields),
	    "ok");
}

void
ctl_call_fail(struct ctl_call *call, const char *fmt, ...)
{
	va_list	 ap;
	json_t	*rep;
	char	*msg;

	va_start(ap, fmt);
	msg = ctl_call_vformat(fmt, ap);
	va_end(ap);
	rep = ctl_server_reply_error(call->version, msg);
	ctl_call_end(call, rep, msg);
	free(msg);
}

int
ctl_call_stream(struct ctl_call *call, json_t *fields)
{
	struct ctl_peer	*peer = call->peer;
	json_t		*rep;

	rep = ctl_server_reply_new(1, call->version, fields);
	if (peer == NULL || ctl_server_send(peer, rep) != 0) {
		if (peer == NULL)
			json_decref(rep);
		else
			ctl_server_unhook(peer);	/* dropped: no on_close */
		ctl_call_audit(call->cmd, call->uid, call->pid, call->args,
		    "client gone during the stream");
		ctl_call_free(call);
		return -1;
	}
	return 0;
}

/*
 * Accepts a call still held by its handler.  When the client leaves,
 * `on_close` runs once; the call stays valid and the handler must still
 * end it (ctl_call_reply/ctl_call_fail, whose reply is then dropped, or a
 * ctl_call_stream that returns -1), possibly from inside on_close.
 */
void
ctl_call_on_close(struct ctl_call *call,
    void (*on_close)(struct ctl_call *, void *), void *arg)
{
	call->on_close = on_close;
	call->on_close_arg = arg;
}
