/*
 * ctl.h — the pfo3 control protocol: JSON lines over a Unix stream socket.
 *
 * A request is one JSON object on one line:
 *     {"cmd":"worker.drain","args":["w2"],"v":1}
 * `args` (an array of strings) and `v` (protocol version) may be omitted:
 * a request without `v` is read as the current version, so typing
 * {"cmd":"stats"} into socat works.  A reply is one JSON object on one line
 * with "ok" (true/false), "v", and either the command's own fields or
 * "error" (a sentence).  A streaming command (watch) sends several replies.
 *
 * Every command is one row of a table (struct ctl_command): name, usage of
 * its arguments, arity, access level, help, handler.  The server checks
 * arity and access from the table before calling the handler; `help`
 * returns the table (and, as "access", the level of the socket asked);
 * clients (pfo3ctl, the console) read it to discover
 * commands.  The same table serves the daemon, the CLI and the docs.
 */
#ifndef PFO3_CTL_H
#define PFO3_CTL_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#define CTL_PROTO_VERSION	1

enum ctl_access {
	CTL_READ = 0,		/* status, help: allowed on the read-only socket */
	CTL_ADMIN = 1,		/* changes state: admin socket only, logged */
};

struct ctl_call;
struct ctl_server;
struct bufferevent;
struct event_base;

typedef void (*ctl_handler)(struct ctl_call *call);

struct ctl_command {
	const char	*name;		/* "worker.drain" */
	const char	*usage;		/* "ID" — argument names for help */
	int		 min_args;
	int		 max_args;	/* -1: no upper bound */
	enum ctl_access	 access;
	const char	*help;		/* one sentence */
	ctl_handler	 fn;
};

/* ---- framing (ctl-frame.c) ------------------------------------------- */

/*
 * Decodes one request line (without its newline).  Returns the request
 * object, or NULL with *cause: not JSON, not an object, no string "cmd",
 * "args" not an array of strings, unsupported "v".  Duplicate keys are
 * refused.  A missing "v" is set to CTL_PROTO_VERSION in the result.
 */
json_t	*ctl_frame_decode_request(const char *line, size_t len, char **cause);
/* Decodes one reply line; NULL with *cause when it is not an object with a
 * boolean "ok". */
json_t	*ctl_frame_decode_reply(const char *line, size_t len, char **cause);
/* Encodes `obj` compactly followed by '\n'.  Caller frees. */
char	*ctl_frame_encode(const json_t *obj, size_t *len);
/* Writes `obj` (stolen) as one line on `bev`. */
void	 ctl_frame_send(struct bufferevent *bev, json_t *obj);
/* Builds a request object from a command and its string arguments. */
json_t	*ctl_frame_request(const char *cmd, const char *const *argv, int argc);

/* ---- the command table (ctl-table.c) --------------------------------- */

/*
 * Finds a command by its name shortened per dotted word ("w.d" or
 * "worker.dr" for "worker.drain"), by the rule of ctl-match.h.  Returns
 * NULL with *cause listing the candidates when none or several match.
 */
const struct ctl_command *ctl_table_lookup(const struct ctl_command *table,
	    const char *name, char **cause);
/* Checks arity and access for a call; -1 with *cause when refused. */
int	ctl_table_check(const struct ctl_command *cmd, int nargs,
	    enum ctl_access level, char **cause);
/* The table as a JSON array of {name, usage, min_args, max_args, access,
 * help}, as `help` returns it. */
json_t	*ctl_table_json(const struct ctl_command *table);
const char *ctl_access_name(enum ctl_access access);

/* ---- server side (ctl-server.c, calls in ctl-call.c) ----------------- */

/*
 * Listens on `path` (created with `mode`) for clients of access `level`.
 * `table` is terminated by a row with a NULL name and must outlive the
 * server.  `ctx` is handed to handlers.  The server adds the built-in
 * `help` and `ping` when the table lacks them.  Returns NULL with *cause.
 */
struct ctl_server *ctl_server_new(struct event_base *base, const char *path,
	    mode_t mode, enum ctl_access level,
	    const struct ctl_command *table, void *ctx,
	    size_t max_line, int max_clients, char **cause);
/* Closes every client and removes the socket file. */
void	ctl_server_free(struct ctl_server *srv);

/* Inside a handler (and until it replies): */
void	*ctl_call_ctx(const struct ctl_call *call);
int	 ctl_call_nargs(const struct ctl_call *call);
const char *ctl_call_arg(const struct ctl_call *call, int i);
const json_t *ctl_call_request(const struct ctl_call *call);
const struct ctl_command *ctl_call_command(const struct ctl_call *call);
uid_t	 ctl_call_uid(const struct ctl_call *call);	/* SO_PEERCRED */
pid_t	 ctl_call_pid(const struct ctl_call *call);

/*
 * Ends the call with {"ok":true, "v":…} plus the fields of `fields`
 * (stolen; may be NULL).  Each call gets exactly one of ctl_call_reply or
 * ctl_call_fail, now or later (a handler may keep the call and answer from
 * a later event).  After the client went away the reply is dropped.
 */
void	ctl_call_reply(struct ctl_call *call, json_t *fields);
void	ctl_call_fail(struct ctl_call *call, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Streaming: sends one {"ok":true,…} line and keeps the call open.
 * Returns -1 when the client has gone (the call is then finished and must
 * not be used again), 0 otherwise.  `on_close` (set once, may be NULL) is
 * called if the client leaves while the handler still holds the call.
 */
int	ctl_call_stream(struct ctl_call *call, json_t *fields);
void	ctl_call_on_close(struct ctl_call *call,
	    void (*on_close)(struct ctl_call *, void *), void *arg);

/* ---- client side (ctl-client.c) -------------------------------------- */

struct ctl_client;

/* Connects to `path`; NULL with *cause (errno kept) when it cannot. */
struct ctl_client *ctl_client_connect(const char *path, char **cause);
/* Sends one request.  -1 with *cause on error. */
int	ctl_client_send(struct ctl_client *c, const char *cmd,
	    const char *const *argv, int argc, char **cause);
/* Reads one reply, waiting at most `timeout_ms` (-1: forever).  NULL with
 * *cause on timeout, EOF, an oversized or malformed line. */
json_t	*ctl_client_recv(struct ctl_client *c, int timeout_ms, char **cause);
/* send + recv. */
json_t	*ctl_client_call(struct ctl_client *c, const char *cmd,
	    const char *const *argv, int argc, int timeout_ms, char **cause);
/* The socket, for poll() in the console. */
int	ctl_client_fd(const struct ctl_client *c);
/* 1 when a whole reply line is already buffered (poll would not see it). */
int	ctl_client_pending(const struct ctl_client *c);
void	ctl_client_close(struct ctl_client *c);

#endif
