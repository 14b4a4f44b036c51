/*
 * test-ctl.c — the control protocol: framing, the command table, socket
 * helpers, and a real server on an event loop thread driven by the
 * blocking client from the main thread.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>

#include "ctl.h"
#include "log.h"
#include "net.h"
#include "tap.h"
#include "xmalloc.h"

/* Generous: only reached on failure, and sanitizer builds on a loaded
 * machine take seconds to build the multi-megabyte replies. */
#define TIMEOUT_MS	30000
#define MAX_LINE	1024

static char	tmpdir[] = "/tmp/pfo3-test-ctl.XXXXXX";

/* ---- small helpers ------------------------------------------------- */

static char *
tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long
jint(const json_t *o, const char *key)
{
	const json_t	*v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : -999;
}

/* 1 true, 0 false, -1 missing or not a boolean. */
static int
jbool(const json_t *o, const char *key)
{
	const json_t	*v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return -1;
	return json_is_true(v);
}

static void
msleep(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* ---- framing -------------------------------------------------------- */

static json_t *
decode(const char *line, char **cause)
{
	*cause = NULL;
	return ctl_frame_decode_request(line, strlen(line), cause);
}

/* Decodes a request that must fail; returns the cause (caller frees). */
static char *
decode_cause(const char *line)
{
	json_t	*req;
	char	*cause;

	if ((req = decode(line, &cause)) != NULL) {
		json_decref(req);
		return xstrdup("(decoded)");
	}
	return cause;
}

static void
check_cause(const char *line, const char *want, const char *what)
{
	char	*cause = decode_cause(line);

	tap_is_str(cause, want, "decode: %s", what);
	free(cause);
}

static void
test_frame(void)
{
	json_t		*req, *rep, *obj;
	char		*cause, *line;
	const char	*argv[] = { "w2", "x y" };
	const char	*bad[] = { "\xff\xfe" };
	size_t		 len;

	req = decode("{\"cmd\":\"worker.drain\",\"args\":[\"w2\"],\"v\":1}",
	    &cause);
	tap_ok(req != NULL, "decode: good request");
	tap_is_str(jstr(req, "cmd"), "worker.drain", "decode: cmd");
	tap_is_str(json_string_value(json_array_get(json_object_get(req,
	    "args"), 0)), "w2", "decode: args[0]");
	tap_is_int(jint(req, "v"), 1, "decode: v");
	json_decref(req);

	req = decode("{\"cmd\":\"ping\"}", &cause);
	tap_ok(req != NULL, "decode: no v and no args");
	tap_is_int(jint(req, "v"), CTL_PROTO_VERSION, "decode: missing v "
	    "defaults to the current version");
	tap_ok(json_object_get(req, "args") == NULL, "decode: args stay "
	    "absent");
	json_decref(req);

	/* Only `len` bytes count: what follows is not read. */
	req = ctl_frame_decode_request("{\"cmd\":\"ping\"}garbage", 14, &cause);
	tap_ok(req != NULL, "decode: reads only len bytes");
	json_decref(req);

	check_cause("{\"args\":[]}", "request has no \"cmd\" string",
	    "missing cmd");
	check_cause("{\"cmd\":7}", "request has no \"cmd\" string",
	    "cmd not a string");
	check_cause("{\"cmd\":\"\"}", "request has no \"cmd\" string",
	    "empty cmd");
	check_cause("{\"cmd\":\"x\",\"args\":[\"a\",1]}",
	    "\"args\" must be an array of strings (item 1 is not)",
	    "non-string args");
	check_cause("{\"cmd\":\"x\",\"args\":\"a\"}",
	    "\"args\" must be an array of strings", "args not an array");
	check_cause("{\"cmd\":\"x\",\"v\":2}",
	    "unsupported protocol version 2 (this side speaks 1)",
	    "higher version");
	check_cause("{\"cmd\":\"x\",\"v\":0}",
	    "bad protocol version 0 (versions start at 1)", "version 0");
	check_cause("{\"cmd\":\"x\",\"v\":\"1\"}",
	    "\"v\" must be an integer (protocol version)", "string version");
	check_cause("[1,2]", "request is not a JSON object", "an array");
	check_cause("{\"cmd\":\"a\",\"cmd\":\"b\"}",
	    "bad JSON in request: duplicate object key near '\"cmd\"' "
	    "(column 16)", "duplicate keys");
	cause = decode_cause("{\"cmd\":\"a\"} x");
	tap_ok(strncmp(cause, "bad JSON in request: ", 21) == 0,
	    "decode: trailing garbage refused (%s)", cause);
	free(cause);
	cause = decode_cause("{bad");
	tap_ok(strncmp(cause, "bad JSON in request: ", 21) == 0,
	    "decode: not JSON (%s)", cause);
	free(cause);

	/* Replies. */
	rep = ctl_frame_decode_reply("{\"ok\":false,\"v\":1,\"error\":\"no\"}",
	    31, &cause);
	tap_ok(rep != NULL && jbool(rep, "ok") == 0, "reply: decoded");
	json_decref(rep);
	cause = NULL;
	rep = ctl_frame_decode_reply("{\"v\":1}", 7, &cause);
	tap_ok(rep == NULL, "reply: missing ok refused");
	tap_is_str(cause, "reply has no boolean \"ok\"", "reply: cause");
	free(cause);
	cause = NULL;
	rep = ctl_frame_decode_reply("{\"ok\":1}", 8, &cause);
	tap_ok(rep == NULL, "reply: non-boolean ok refused");
	free(cause);

	/* Encoding. */
	obj = json_pack("{s:b, s:i}", "ok", 1, "v", 1);
	line = ctl_frame_encode(obj, &len);
	tap_is_str(line, "{\"ok\":true,\"v\":1}\n", "encode: compact + "
	    "newline");
	tap_is_int((long long)len, 18, "encode: length counts the newline");
	free(line);
	json_decref(obj);

	req = ctl_frame_request("worker.drain", argv, 2);
	line = ctl_frame_encode(req, NULL);
	tap_is_str(line, "{\"cmd\":\"worker.drain\",\"args\":[\"w2\",\"x y\"],"
	    "\"v\":1}\n", "request: built and encoded");
	free(line);
	json_decref(req);
	req = ctl_frame_request("ping", NULL, 0);
	line = ctl_frame_encode(req, NULL);
	tap_is_str(line, "{\"cmd\":\"ping\",\"args\":[],\"v\":1}\n",
	    "request: no arguments");
	free(line);
	json_decref(req);
	tap_ok(ctl_frame_request("x", bad, 1) == NULL,
	    "request: invalid UTF-8 argument refused");
}

/* ---- the table ------------------------------------------------------ */

static void
t_nothing(struct ctl_call *call)
{
	ctl_call_reply(call, NULL);
}

static const struct ctl_command table1[] = {
	{ "stats", "", 0, 0, CTL_READ, "Show statistics.", t_nothing },
	{ "worker.drain", "ID", 1, 1, CTL_ADMIN, "Drain a worker.", t_nothing },
	{ "worker.resume", "ID", 1, 1, CTL_ADMIN, "Resume a worker.",
	  t_nothing },
	{ "worker.remove", "ID", 1, 1, CTL_ADMIN, "Remove a worker.",
	  t_nothing },
	{ "watch", "[INTERVAL...]", 0, -1, CTL_READ, "Stream status.",
	  t_nothing },
	{ "log.level", "LEVEL", 1, 1, CTL_ADMIN, "Set the log level.",
	  t_nothing },
	{ NULL, NULL, 0, 0, CTL_READ, NULL, NULL },
};

#define ALL1	"stats, worker.drain, worker.resume, worker.remove, watch, " \
		"log.level"

static void
check_lookup(const char *name, const char *want_name, const char *want_cause)
{
	const struct ctl_command	*cmd;
	char				*cause = NULL;

	cmd = ctl_table_lookup(table1, name, &cause);
	tap_is_str(cmd != NULL ? cmd->name : NULL, want_name,
	    "lookup '%s': command", name);
	tap_is_str(cause, want_cause, "lookup '%s': cause", name);
	free(cause);
}

static void
check_check(const char *name, int nargs, enum ctl_access level,
    const char *want)
{
	const struct ctl_command	*cmd;
	char				*cause = NULL;
	int				 r;

	cmd = ctl_table_lookup(table1, name, &cause);
	r = ctl_table_check(cmd, nargs, level, &cause);
	tap_is_int(r, want == NULL ? 0 : -1, "check %s/%d/%s: result", name,
	    nargs, ctl_access_name(level));
	tap_is_str(cause, want, "check %s/%d/%s: cause", name, nargs,
	    ctl_access_name(level));
	free(cause);
}

static void
test_table(void)
{
	json_t	*arr, *row;

	check_lookup("stats", "stats", NULL);
	check_lookup("st", "stats", NULL);
	check_lookup("w.d", "worker.drain", NULL);
	check_lookup("worker.dr", "worker.drain", NULL);
	check_lookup("wo.res", "worker.resume", NULL);
	check_lookup("w", "watch", NULL);	/* one word: only watch */
	check_lookup("w.re", NULL,
	    "ambiguous command 'w.re': could be worker.resume, worker.remove");
	check_lookup("worker", NULL,
	    "unknown command 'worker'; did you mean: worker.drain, "
	    "worker.resume, worker.remove");
	check_lookup("foo", NULL, "unknown command 'foo'; commands: " ALL1);
	check_lookup("worker.drain.now", NULL,
	    "unknown command 'worker.drain.now'; commands: " ALL1);
	check_lookup("", NULL, "no command given; commands: " ALL1);

	check_check("worker.drain", 1, CTL_ADMIN, NULL);
	check_check("worker.drain", 0, CTL_ADMIN, "usage: worker.drain ID");
	check_check("worker.drain", 2, CTL_ADMIN, "usage: worker.drain ID");
	check_check("worker.drain", 1, CTL_READ,
	    "permission denied: 'worker.drain' needs the admin socket");
	check_check("worker.drain", 0, CTL_READ,
	    "permission denied: 'worker.drain' needs the admin socket");
	check_check("stats", 1, CTL_READ, "usage: stats (takes no arguments)");
	check_check("stats", 0, CTL_ADMIN, NULL);
	check_check("watch", 9, CTL_READ, NULL);

	arr = ctl_table_json(table1);
	tap_is_int((long long)json_array_size(arr), 6, "table json: rows");
	row = json_array_get(arr, 1);
	tap_is_str(jstr(row, "name"), "worker.drain", "table json: name");
	tap_is_str(jstr(row, "usage"), "ID", "table json: usage");
	tap_is_int(jint(row, "min_args"), 1, "table json: min_args");
	tap_is_int(jint(row, "max_args"), 1, "table json: max_args");
	tap_is_str(jstr(row, "access"), "admin", "table json: access");
	tap_is_str(jstr(row, "help"), "Drain a worker.", "table json: help");
	row = json_array_get(arr, 4);
	tap_is_int(jint(row, "max_args"), -1, "table json: unbounded");
	tap_is_str(jstr(row, "access"), "read", "table json: read access");
	json_decref(arr);

	tap_is_str(ctl_access_name(CTL_READ), "read", "access name read");
	tap_is_str(ctl_access_name(CTL_ADMIN), "admin", "access name admin");
}

/* ---- socket helpers ------------------------------------------------- */

static void
check_addr(const char *text, const char *want)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	char			*cause = NULL;
	int			r;

	r = net_parse_addr(text, &ss, &len, &cause);
	tap_is_int(r, want == NULL ? 0 : -1, "addr '%s': result", text);
	tap_is_str(cause, want, "addr '%s': cause", text);
	free(cause);
}

static void
test_net(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un	 sun;
	struct stat		 st;
	socklen_t		 len;
	char			*cause = NULL, *path, *longpath;
	int			 fd, fd2;

	tap_is_int(net_parse_addr("127.0.0.1:8001", &ss, &len, &cause), 0,
	    "addr v4 parsed");
	tap_ok(ss.ss_family == AF_INET && ntohs(sin->sin_port) == 8001 &&
	    ntohl(sin->sin_addr.s_addr) == 0x7f000001 &&
	    len == sizeof *sin, "addr v4 fields");
	tap_is_int(net_parse_addr("[::1]:80", &ss, &len, &cause), 0,
	    "addr v6 parsed");
	tap_ok(ss.ss_family == AF_INET6 && ntohs(sin6->sin6_port) == 80 &&
	    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) && len == sizeof *sin6,
	    "addr v6 fields");
	check_addr("0.0.0.0:65535", NULL);
	check_addr("localhost:80", "bad address 'localhost:80': 'localhost' "
	    "is not a numeric IPv4 address");
	check_addr("1.2.3.4", "bad address '1.2.3.4': missing port "
	    "(expected ADDR:PORT)");
	check_addr("1.2.3.4:", "bad address '1.2.3.4:': bad port ''");
	check_addr("1.2.3.4:65536", "bad address '1.2.3.4:65536': bad port "
	    "'65536'");
	check_addr("1.2.3.4:8x", "bad address '1.2.3.4:8x': bad port '8x'");
	check_addr("::1:80", "bad address '::1:80': write IPv6 addresses in "
	    "brackets, as [ADDR]:PORT");
	check_addr("[::1]80", "bad address '[::1]80': missing port "
	    "(expected [ADDR]:PORT)");
	check_addr("[::1:80", "bad address '[::1:80': missing ']'");
	check_addr("[1.2.3.4]:80", "bad address '[1.2.3.4]:80': '1.2.3.4' is "
	    "not a numeric IPv6 address");
	check_addr("", "empty address (expected ADDR:PORT)");

	fd = net_listen_tcp("127.0.0.1:0", 8, &cause);
	tap_ok(fd >= 0, "tcp listener");
	tap_ok((fcntl(fd, F_GETFL) & O_NONBLOCK) &&
	    (fcntl(fd, F_GETFD) & FD_CLOEXEC), "tcp listener: nonblocking, "
	    "close-on-exec");
	close(fd);
	cause = NULL;
	tap_is_int(net_listen_tcp("nowhere:1", 8, &cause), -1,
	    "tcp listener: bad address refused");
	free(cause);

	/* Unix: fresh, live, stale, not a socket, too long. */
	path = tmp_path("net.sock");
	fd = net_listen_unix(path, 0600, 8, &cause);
	tap_ok(fd >= 0, "unix listener");
	tap_ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    (st.st_mode & 0777) == 0600, "unix listener: mode 0600");
	tap_ok((fcntl(fd, F_GETFL) & O_NONBLOCK) &&
	    (fcntl(fd, F_GETFD) & FD_CLOEXEC), "unix listener: nonblocking, "
	    "close-on-exec");
	cause = NULL;
	tap_is_int(net_listen_unix(path, 0600, 8, &cause), -1,
	    "unix listener: live socket refused");
	tap_ok(cause != NULL && strstr(cause, "already in use") != NULL,
	    "unix listener: cause says in use (%s)", cause);
	free(cause);
	close(fd);		/* the file stays: a stale socket */
	fd = net_listen_unix(path, 0660, 8, &cause);
	tap_ok(fd >= 0, "unix listener: stale socket replaced");
	tap_ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0660,
	    "unix listener: mode 0660");
	fd2 = net_connect_unix(path, &cause);
	tap_ok(fd2 >= 0, "unix connect");
	close(fd2);
	close(fd);
	unlink(path);
	cause = NULL;
	tap_is_int(net_connect_unix(path, &cause), -1, "unix connect: nobody");
	tap_ok(errno == ENOENT, "unix connect: errno kept");
	free(cause);
	free(path);

	path = tmp_path("plain");
	close(open(path, O_WRONLY | O_CREAT, 0600));
	cause = NULL;
	tap_is_int(net_listen_unix(path, 0600, 8, &cause), -1,
	    "unix listener: regular file refused");
	longpath = xasprintf("%s exists and is not a socket", path);
	tap_is_str(cause, longpath, "unix listener: not-a-socket cause");
	tap_ok(stat(path, &st) == 0 && S_ISREG(st.st_mode),
	    "unix listener: regular file left alone");
	free(longpath);
	free(cause);
	unlink(path);
	free(path);

	longpath = xmalloc(sizeof sun.sun_path + 1);
	memset(longpath, 'a', sizeof sun.sun_path);
	longpath[sizeof sun.sun_path] = '\0';
	cause = NULL;
	tap_is_int(net_listen_unix(longpath, 0600, 8, &cause), -1,
	    "unix listener: long path refused");
	tap_ok(cause != NULL && strncmp(cause, "socket path too long", 20) == 0,
	    "unix listener: long path cause (%.40s)", cause);
	free(cause);
	free(longpath);
}

/* ---- a real server --------------------------------------------------- */

/* Touched only on the event loop thread, then read after it is joined. */
struct state {
	struct event_base	*base;
	int			 closes;	/* on_close calls */
	int			 slow_fired;	/* slow timers that ran */
	int			 flood_streamed;
	int			 flood_dropped;
};

struct slow {
	struct state	*st;
	struct ctl_call	*call;
	struct event	*ev;
};

static void
t_echo(struct ctl_call *call)
{
	json_t	*args = json_array();
	int	 i;

	for (i = 0; i < ctl_call_nargs(call); i++)
		json_array_append_new(args, json_string(ctl_call_arg(call, i)));
	ctl_call_reply(call, json_pack("{s:o, s:I, s:I}", "args", args,
	    "uid", (json_int_t)ctl_call_uid(call),
	    "pid", (json_int_t)ctl_call_pid(call)));
}

static void
t_slow_cb(evutil_socket_t fd, short what, void *arg)
{
	struct slow	*s = arg;

	(void)fd;
	(void)what;
	s->st->slow_fired++;
	/* Replies to orphaned calls too: they must be dropped and freed. */
	ctl_call_reply(s->call, json_pack("{s:s}", "slow",
	    ctl_call_arg(s->call, 0)));
	event_free(s->ev);
	free(s);
}

static void
t_slow_closed(struct ctl_call *call, void *arg)
{
	struct slow	*s = arg;

	(void)call;
	s->st->closes++;
}

/* slow MS: answers after MS milliseconds, from a timer. */
static void
t_slow(struct ctl_call *call)
{
	struct state	*st = ctl_call_ctx(call);
	struct slow	*s;
	int		 ms = atoi(ctl_call_arg(call, 0));
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	s = xcalloc(1, sizeof *s);
	s->st = st;
	s->call = call;
	s->ev = evtimer_new(st->base, t_slow_cb, s);
	evtimer_add(s->ev, &tv);
	ctl_call_on_close(call, t_slow_closed, s);
}

static void
t_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct slow	*s = arg;

	(void)fd;
	(void)what;
	ctl_call_reply(s->call, json_pack("{s:b}", "done", 1));
	event_free(s->ev);
	free(s);
}

/* tick N: streams N lines at once, then ends from a timer. */
static void
t_tick(struct ctl_call *call)
{
	struct state	*st = ctl_call_ctx(call);
	struct slow	*s;
	struct timeval	 tv = { 0, 20000 };
	int		 i, n = atoi(ctl_call_arg(call, 0));

	for (i = 1; i <= n; i++) {
		if (ctl_call_stream(call, json_pack("{s:i}", "tick", i)) != 0)
			return;
	}
	s = xcalloc(1, sizeof *s);
	s->st = st;
	s->call = call;
	s->ev = evtimer_new(st->base, t_tick_cb, s);
	evtimer_add(s->ev, &tv);
}

/* flood: streams 1 MiB lines until the unread client is dropped. */
static void
t_flood(struct ctl_call *call)
{
	struct state	*st = ctl_call_ctx(call);
	char		*blob;
	int		 i;

	blob = xmalloc(1024 * 1024 + 1);
	memset(blob, 'f', 1024 * 1024);
	blob[1024 * 1024] = '\0';
	for (i = 0; i < 64; i++) {
		if (ctl_call_stream(call, json_pack("{s:s}", "blob",
		    blob)) != 0) {
			st->flood_dropped++;
			break;
		}
		st->flood_streamed++;
	}
	free(blob);
	if (i == 64)
		ctl_call_reply(call, NULL);
}

/* big: one 6 MiB reply, more than the backlog limit, still delivered. */
static void
t_big(struct ctl_call *call)
{
	char	*blob;

	blob = xmalloc(6 * 1024 * 1024 + 1);
	memset(blob, 'b', 6 * 1024 * 1024);
	blob[6 * 1024 * 1024] = '\0';
	ctl_call_reply(call, json_pack("{s:s}", "blob", blob));
	free(blob);
}

static void
t_admin_set(struct ctl_call *call)
{
	ctl_call_reply(call, json_pack("{s:s}", "set", ctl_call_arg(call, 0)));
}

static void
t_fail(struct ctl_call *call)
{
	ctl_call_fail(call, "failed with %d", 42);
}

static void
t_state(struct ctl_call *call)
{
	struct state	*st = ctl_call_ctx(call);

	ctl_call_reply(call, json_pack("{s:i, s:i, s:i, s:i}",
	    "closes", st->closes, "slow_fired", st->slow_fired,
	    "flood_streamed", st->flood_streamed,
	    "flood_dropped", st->flood_dropped));
}

static const struct ctl_command table2[] = {
	{ "echo", "[ARG...]", 0, -1, CTL_READ, "Echo.", t_echo },
	{ "slow", "MS", 1, 1, CTL_READ, "Answer later.", t_slow },
	{ "tick", "N", 1, 1, CTL_READ, "Stream N lines.", t_tick },
	{ "flood", "", 0, 0, CTL_READ, "Stream forever.", t_flood },
	{ "big", "", 0, 0, CTL_READ, "A big reply.", t_big },
	{ "admin.set", "VALUE", 1, 1, CTL_ADMIN, "Change something.",
	  t_admin_set },
	{ "fail", "", 0, 0, CTL_READ, "Fail.", t_fail },
	{ "state", "", 0, 0, CTL_READ, "Test counters.", t_state },
	{ NULL, NULL, 0, 0, CTL_READ, NULL, NULL },
};

static void *
loop_main(void *arg)
{
	event_base_dispatch(arg);
	return NULL;
}

static struct ctl_client *
client(const char *path)
{
	struct ctl_client	*c;
	char			*cause = NULL;

	if ((c = ctl_client_connect(path, &cause)) == NULL) {
		tap_diag("connect: %s", cause);
		free(cause);
	}
	return c;
}

/* Calls and returns the reply, or NULL (with a diagnostic). */
static json_t *
call(struct ctl_client *c, const char *cmd, const char *const *argv,
    int argc)
{
	json_t	*rep;
	char	*cause = NULL;

	if (c == NULL)
		return NULL;
	rep = ctl_client_call(c, cmd, argv, argc, TIMEOUT_MS, &cause);
	if (rep == NULL) {
		tap_diag("%s: %s", cmd, cause);
		free(cause);
	}
	return rep;
}

static json_t *
recv_reply(struct ctl_client *c, int timeout_ms, char **cause)
{
	*cause = NULL;
	if (c == NULL) {
		*cause = xstrdup("no client");
		return NULL;
	}
	return ctl_client_recv(c, timeout_ms, cause);
}

static json_t *
recv1(struct ctl_client *c)
{
	json_t	*rep;
	char	*cause;

	if ((rep = recv_reply(c, TIMEOUT_MS, &cause)) == NULL) {
		tap_diag("recv: %s", cause);
		free(cause);
	}
	return rep;
}

static void
send_raw(struct ctl_client *c, const char *data, size_t len)
{
	ssize_t	n;

	while (c != NULL && len > 0) {
		if ((n = send(ctl_client_fd(c), data, len, MSG_NOSIGNAL)) <= 0) {
			tap_diag("send_raw: %s", strerror(errno));
			return;
		}
		data += n;
		len -= (size_t)n;
	}
}

static void
send_str(struct ctl_client *c, const char *s)
{
	send_raw(c, s, strlen(s));
}

/* Expects an error reply whose "error" is `want`. */
static void
expect_error(json_t *rep, const char *want, const char *what)
{
	tap_is_int(jbool(rep, "ok"), 0, "%s: ok false", what);
	tap_is_int(jint(rep, "v"), 1, "%s: v 1", what);
	tap_is_str(jstr(rep, "error"), want, "%s: error", what);
	json_decref(rep);
}

static void
expect_pong(json_t *rep, const char *what)
{
	tap_ok(jbool(rep, "ok") == 1 && jbool(rep, "pong") == 1 &&
	    jint(rep, "v") == 1, "%s: pong", what);
	json_decref(rep);
}

/* Asks the server for a counter until it reaches `want` (20 s at most). */
static long long
wait_state(struct ctl_client *c, const char *key, long long want)
{
	json_t		*rep;
	long long	 got = -1;
	int		 i;

	for (i = 0; i < 2000; i++) {
		if ((rep = call(c, "state", NULL, 0)) == NULL)
			return -1;
		got = jint(rep, key);
		json_decref(rep);
		if (got == want)
			break;
		msleep(10);
	}
	return got;
}

static int
file_contains(const char *path, const char *needle)
{
	FILE	*f;
	char	 buf[65536];
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, needle) != NULL;
}

/* ---- the client against a hand-written peer ------------------------- */

struct raw_writer {
	int		 fd;
	const char	*data;
	size_t		 len;
};

static void *
raw_writer_main(void *arg)
{
	struct raw_writer	*w = arg;
	size_t			 off = 0;
	ssize_t			 n;

	while (off < w->len) {
		n = send(w->fd, w->data + off, w->len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(w->fd);
	return NULL;
}

static void
expect_recv_error(struct ctl_client *c, const char *want, size_t cmp,
    const char *what)
{
	json_t	*rep;
	char	*cause;

	rep = recv_reply(c, TIMEOUT_MS, &cause);
	tap_ok(rep == NULL, "client: %s refused", what);
	tap_ok(cause != NULL && strncmp(cause, want, cmp) == 0,
	    "client: %s (%s)", what, cause);
	json_decref(rep);
	free(cause);
}

/* Replies the server would never send: the client must cope. */
static void
test_client_raw(void)
{
	struct raw_writer	 w;
	struct ctl_client	*c;
	pthread_t		 thread;
	json_t			*rep;
	char			*path, *cause = NULL, *data;
	size_t			 big = 17 * 1024 * 1024, len = 0;
	int			 lfd;

	const char	*head = "{\"ok\":true,\"v\":1,\"a\":1}\r\n"
			    "not json\n" "{\"v\":1}\n";
	const char	*tail = "\n{\"ok\":true,\"v\":1,\"b\":2}\n{\"ok\":";

	path = tmp_path("raw.sock");
	lfd = net_listen_unix(path, 0600, 4, &cause);
	c = client(path);
	w.fd = accept(lfd, NULL, NULL);
	tap_ok(lfd >= 0 && c != NULL && w.fd >= 0, "client: raw peer");
	if (lfd < 0 || c == NULL || w.fd < 0)
		return;

	data = xmalloc(strlen(head) + big + strlen(tail));
	memcpy(data, head, strlen(head));
	len = strlen(head);
	memset(data + len, 'z', big);
	len += big;
	memcpy(data + len, tail, strlen(tail));
	len += strlen(tail);
	w.data = data;
	w.len = len;
	pthread_create(&thread, NULL, raw_writer_main, &w);

	rep = recv1(c);
	tap_is_int(jint(rep, "a"), 1, "client: CRLF reply");
	json_decref(rep);
	expect_recv_error(c, "bad JSON in reply: ", 19, "not JSON");
	expect_recv_error(c, "reply has no boolean \"ok\"", 100, "no ok");
	expect_recv_error(c, "reply too long (over 16777216 bytes)", 100,
	    "oversized reply");
	rep = recv1(c);
	tap_is_int(jint(rep, "b"), 2, "client: next reply after an oversized "
	    "one");
	json_decref(rep);
	expect_recv_error(c, "connection closed in the middle of a reply", 100,
	    "truncated reply");

	pthread_join(thread, NULL);
	ctl_client_close(c);
	close(lfd);
	unlink(path);
	free(path);
	free(data);
}

static void
test_basic(const char *rpath, const char *apath, const char *logpath)
{
	struct ctl_client	*c, *a;
	json_t			*rep, *cmds, *row;
	const char		*argv[] = { "x", "two words" };
	const char		*zero[] = { "0" };
	char			*want;
	size_t			 i;
	int			 seen_help = 0, seen_ping = 0;

	c = client(rpath);
	tap_ok(c != NULL, "server: client connected");

	expect_pong(call(c, "ping", NULL, 0), "ping");

	rep = call(c, "help", NULL, 0);
	cmds = json_object_get(rep, "commands");
	tap_ok(jbool(rep, "ok") == 1 && json_is_array(cmds), "help: ok with "
	    "commands");
	tap_is_int((long long)json_array_size(cmds), 10, "help: 8 commands "
	    "and 2 built-ins");
	json_array_foreach(cmds, i, row) {
		if (strcmp(jstr(row, "name"), "help") == 0)
			seen_help = 1;
		if (strcmp(jstr(row, "name"), "ping") == 0)
			seen_ping = 1;
	}
	tap_ok(seen_help && seen_ping, "help: lists help and ping");
	tap_is_str(jstr(json_array_get(cmds, 5), "name"), "admin.set",
	    "help: table order kept");
	tap_is_str(jstr(json_array_get(cmds, 5), "access"), "admin",
	    "help: access shown");
	tap_is_str(jstr(rep, "access"), "read",
	    "help: the read-only socket says it is read-only");
	json_decref(rep);

	rep = call(c, "echo", argv, 2);
	tap_is_str(json_string_value(json_array_get(json_object_get(rep,
	    "args"), 1)), "two words", "echo: arguments passed");
	tap_is_int(jint(rep, "uid"), (long long)getuid(), "echo: peer uid");
	tap_is_int(jint(rep, "pid"), (long long)getpid(), "echo: peer pid");
	json_decref(rep);

	/* Prefixes work through the server too. */
	rep = call(c, "ec", argv, 1);
	tap_is_int(jbool(rep, "ok"), 1, "prefix 'ec' runs echo");
	json_decref(rep);

	expect_error(call(c, "slow", NULL, 0), "usage: slow MS", "arity");
	expect_error(call(c, "fail", NULL, 0), "failed with 42", "ctl_call_fail");
	expect_error(call(c, "nope", NULL, 0), "unknown command 'nope'; "
	    "commands: echo, slow, tick, flood, big, admin.set, fail, state, "
	    "help, ping", "unknown command");

	/* Access. */
	expect_error(call(c, "admin.set", argv, 1),
	    "permission denied: 'admin.set' needs the admin socket",
	    "admin command on the read socket");
	a = client(apath);
	rep = call(a, "admin.set", argv, 1);
	tap_is_int(jbool(rep, "ok"), 1, "admin command on the admin socket");
	tap_is_str(jstr(rep, "set"), "x", "admin command: reply fields");
	json_decref(rep);
	rep = call(a, "help", NULL, 0);
	tap_is_str(jstr(rep, "access"), "admin",
	    "help: the admin socket says it is admin");
	json_decref(rep);
	want = xasprintf("control: uid %ld pid %ld: admin.set [\"x\"]: ok",
	    (long)getuid(), (long)getpid());
	tap_ok(file_contains(logpath, want), "audit log: %s", want);
	free(want);
	want = xasprintf("control: uid %ld pid %ld: admin.set [\"x\"]: "
	    "permission denied", (long)getuid(), (long)getpid());
	tap_ok(file_contains(logpath, want), "audit log: refusal logged");
	free(want);
	ctl_client_close(a);

	/* Malformed and oversized lines leave the connection serving. */
	send_str(c, "{bad\n");
	rep = recv1(c);
	tap_ok(jbool(rep, "ok") == 0 && jstr(rep, "error") != NULL &&
	    strncmp(jstr(rep, "error"), "bad JSON in request: ", 21) == 0,
	    "malformed line: error (%s)", jstr(rep, "error"));
	json_decref(rep);
	expect_pong(call(c, "ping", NULL, 0), "after a malformed line");
	send_str(c, "{\"cmd\":\"\xff\xfe\"}\n");
	rep = recv1(c);
	tap_ok(jbool(rep, "ok") == 0 && jstr(rep, "error") != NULL &&
	    strncmp(jstr(rep, "error"), "bad JSON in request: ", 21) == 0,
	    "invalid UTF-8: error still carries its message (%s)",
	    jstr(rep, "error"));
	json_decref(rep);

	{
		char	*big = xmalloc(5 * MAX_LINE + 2);

		memset(big, 'x', 5 * MAX_LINE);
		big[5 * MAX_LINE] = '\n';
		send_raw(c, big, 5 * MAX_LINE + 1);
		expect_error(recv1(c), "request too long (max 1024 bytes)",
		    "oversized line");
		expect_pong(call(c, "ping", NULL, 0), "after an oversized line");

		/* Exactly max_line bytes, then max_line + 1, with a CR. */
		memset(big, ' ', MAX_LINE);
		memcpy(big, "{\"cmd\":\"ping\"}", 14);
		memcpy(big + MAX_LINE, "\r\n", 2);
		send_raw(c, big, MAX_LINE + 2);
		expect_pong(recv1(c), "a line of exactly max_line bytes + CRLF");
		memset(big, ' ', MAX_LINE + 1);
		memcpy(big, "{\"cmd\":\"ping\"}", 14);
		big[MAX_LINE + 1] = '\n';
		send_raw(c, big, MAX_LINE + 2);
		expect_error(recv1(c), "request too long (max 1024 bytes)",
		    "max_line + 1 bytes");
		/* Split over several writes, oversized before its newline. */
		memset(big, 'y', 3 * MAX_LINE);
		send_raw(c, big, 3 * MAX_LINE);
		msleep(50);
		send_raw(c, big, 3 * MAX_LINE);
		send_str(c, "yyy\n{\"cmd\":\"ping\"}\n");
		expect_error(recv1(c), "request too long (max 1024 bytes)",
		    "oversized line in pieces: one error");
		expect_pong(recv1(c), "oversized line in pieces: next line");
		free(big);
	}

	/* Blank lines are ignored; no v means v 1; a higher v is refused. */
	send_str(c, "\n\r\n{\"cmd\":\"ping\"}\n");
	expect_pong(recv1(c), "request without v answered with v 1");
	send_str(c, "{\"cmd\":\"ping\",\"v\":2}\n");
	expect_error(recv1(c), "unsupported protocol version 2 (this side "
	    "speaks 1)", "v 2");

	/* Pipelined: the async call is answered first, in order. */
	send_str(c, "{\"cmd\":\"slow\",\"args\":[\"100\"]}\n"
	    "{\"cmd\":\"echo\",\"args\":[\"second\"]}\n"
	    "{\"cmd\":\"ping\"}\n");
	rep = recv1(c);
	tap_is_str(jstr(rep, "slow"), "100", "pipelined: first reply first");
	json_decref(rep);
	rep = recv1(c);
	tap_is_str(json_string_value(json_array_get(json_object_get(rep,
	    "args"), 0)), "second", "pipelined: second reply second");
	json_decref(rep);
	expect_pong(recv1(c), "pipelined: third reply third");

	/* Streaming. */
	{
		const char	*three[] = { "3" };

		rep = call(c, "tick", three, 1);
		tap_is_int(jint(rep, "tick"), 1, "stream: first line");
		json_decref(rep);
		tap_is_int(ctl_client_pending(c), 1, "stream: the rest is "
		    "already buffered");
		rep = recv1(c);
		tap_is_int(jint(rep, "tick"), 2, "stream: second line");
		json_decref(rep);
		rep = recv1(c);
		tap_is_int(jint(rep, "tick"), 3, "stream: third line");
		json_decref(rep);
		rep = recv1(c);
		tap_ok(jbool(rep, "ok") == 1 && jbool(rep, "done") == 1,
		    "stream: ended by the final reply");
		json_decref(rep);
		tap_is_int(ctl_client_pending(c), 0, "stream: nothing pending");
	}

	/* A reply bigger than the backlog limit still arrives whole. */
	rep = call(c, "big", NULL, 0);
	tap_is_int(rep != NULL ? (long long)strlen(jstr(rep, "blob")) : -1,
	    6 * 1024 * 1024, "big reply: 6 MiB");
	json_decref(rep);

	/* Client timeout, then the late reply. */
	{
		const char	*ms[] = { "300" };
		char		*cause = NULL;

		tap_is_int(ctl_client_send(c, "slow", ms, 1, &cause), 0,
		    "timeout: sent");
		rep = ctl_client_recv(c, 50, &cause);
		tap_ok(rep == NULL && errno == ETIMEDOUT, "timeout: no reply "
		    "yet");
		tap_is_str(cause, "no reply within 50 ms", "timeout: cause");
		free(cause);
		rep = recv1(c);
		tap_is_str(jstr(rep, "slow"), "300", "timeout: late reply "
		    "read next");
		json_decref(rep);
	}

	rep = call(c, "slow", zero, 1);
	tap_is_str(jstr(rep, "slow"), "0", "a zero-delay async call");
	json_decref(rep);

	{
		const char	*bad[] = { "\xc3" };
		char		*cause = NULL;

		tap_is_int(ctl_client_send(c, "echo", bad, 1, &cause), -1,
		    "client: invalid UTF-8 argument not sent");
		tap_is_str(cause, "the command or an argument is not valid "
		    "UTF-8", "client: UTF-8 cause");
		free(cause);
		expect_pong(call(c, "ping", NULL, 0), "client: still usable");
	}
	ctl_client_close(c);
}

static void
test_leaving(const char *rpath)
{
	struct ctl_client	*c, *q;
	json_t			*rep;
	char			*cause;
	long long		 fired;

	q = client(rpath);
	rep = call(q, "state", NULL, 0);
	fired = jint(rep, "slow_fired");
	json_decref(rep);

	/* Half-close: the client still gets its reply, then EOF. */
	c = client(rpath);
	send_str(c, "{\"cmd\":\"slow\",\"args\":[\"50\"]}\n");
	if (c != NULL)
		shutdown(ctl_client_fd(c), SHUT_WR);
	rep = recv1(c);
	tap_is_str(jstr(rep, "slow"), "50", "half-close: reply delivered");
	json_decref(rep);
	rep = recv_reply(c, TIMEOUT_MS, &cause);
	tap_ok(rep == NULL, "half-close: then EOF");
	tap_is_str(cause, "connection closed by the server",
	    "half-close: cause");
	free(cause);
	ctl_client_close(c);
	tap_is_int(wait_state(q, "closes", 0), 0, "half-close: no on_close");

	/* Half-close after a last line without its newline. */
	c = client(rpath);
	send_str(c, "{\"cmd\":\"echo\"}\n{\"cmd\":\"ping\"}");
	if (c != NULL)
		shutdown(ctl_client_fd(c), SHUT_WR);
	rep = recv1(c);
	tap_ok(json_is_array(json_object_get(rep, "args")),
	    "unterminated last line: the line before answered");
	json_decref(rep);
	expect_pong(recv1(c), "unterminated last line: answered at EOF");
	rep = recv_reply(c, TIMEOUT_MS, &cause);
	tap_ok(rep == NULL, "unterminated last line: then EOF (%s)", cause);
	free(cause);
	ctl_client_close(c);

	/* Gone while an async call is pending: on_close, later reply
	 * dropped. */
	c = client(rpath);
	send_str(c, "{\"cmd\":\"slow\",\"args\":[\"200\"]}\n");
	msleep(50);
	ctl_client_close(c);
	tap_is_int(wait_state(q, "closes", 1), 1, "gone: on_close called");
	tap_is_int(wait_state(q, "slow_fired", fired + 2), fired + 2,
	    "gone: the handler replied later without harm");
	expect_pong(call(q, "ping", NULL, 0), "gone: server still serving");

	/* Gone before the server read the request. */
	c = client(rpath);
	send_str(c, "{\"cmd\":\"slow\",\"args\":[\"10\"]}\n");
	ctl_client_close(c);
	tap_is_int(wait_state(q, "closes", 2), 2, "gone at once: on_close "
	    "called");
	tap_is_int(wait_state(q, "slow_fired", fired + 3), fired + 3,
	    "gone at once: the call still ran");

	/* A client that does not read a stream is dropped. */
	c = client(rpath);
	send_str(c, "{\"cmd\":\"flood\"}\n");
	tap_is_int(wait_state(q, "flood_dropped", 1), 1, "flood: dropped");
	tap_is_int(wait_state(q, "flood_streamed", 4), 4,
	    "flood: after 4 MiB of unread output");
	rep = recv_reply(c, TIMEOUT_MS, &cause);
	tap_ok(rep == NULL, "flood: the client sees the close (%s)", cause);
	free(cause);
	json_decref(rep);
	ctl_client_close(c);
	tap_is_int(wait_state(q, "closes", 2), 2, "flood: no on_close for a "
	    "stream that saw -1");

	ctl_client_close(q);
}

static void
test_max_clients(const char *path)
{
	struct ctl_client	*c1, *c2, *c3;
	json_t			*rep;
	char			*cause;
	int			 i;

	c1 = client(path);
	c2 = client(path);
	expect_pong(call(c1, "ping", NULL, 0), "max_clients: first client");
	expect_pong(call(c2, "ping", NULL, 0), "max_clients: second client");
	c3 = client(path);
	rep = recv_reply(c3, TIMEOUT_MS, &cause);
	free(cause);
	expect_error(rep, "too many control clients (max 2)",
	    "max_clients: third refused");
	rep = recv_reply(c3, TIMEOUT_MS, &cause);
	tap_ok(rep == NULL, "max_clients: and closed (%s)", cause);
	free(cause);
	ctl_client_close(c3);

	/* A slot frees once the server has seen a client leave. */
	ctl_client_close(c1);
	rep = NULL;
	for (i = 0; i < 2000 && rep == NULL; i++) {
		c3 = client(path);
		rep = call(c3, "ping", NULL, 0);
		if (rep == NULL || jbool(rep, "ok") != 1) {
			json_decref(rep);
			rep = NULL;
			ctl_client_close(c3);
			msleep(10);
		}
	}
	expect_pong(rep, "max_clients: a slot frees after a close");
	ctl_client_close(c3);
	ctl_client_close(c2);
}

static void
test_server(void)
{
	struct event_base	*base;
	struct ctl_server	*rsrv, *asrv, *msrv, *dup;
	struct state		 st;
	struct stat		 sb;
	pthread_t		 thread;
	char			*rpath, *apath, *mpath, *logpath, *path;
	char			*cause = NULL;
	int			 rc;

	memset(&st, 0, sizeof st);
	base = event_base_new();
	st.base = base;
	rpath = tmp_path("read.sock");
	apath = tmp_path("admin.sock");
	mpath = tmp_path("max.sock");
	logpath = tmp_path("audit.log");
	if (log_open_file(logpath, &cause) != 0)
		tap_diag("log file: %s", cause);

	rsrv = ctl_server_new(base, rpath, 0666, CTL_READ, table2, &st,
	    MAX_LINE, 8, &cause);
	tap_ok(rsrv != NULL, "server: read socket (%s)", rsrv ? "" : cause);
	asrv = ctl_server_new(base, apath, 0660, CTL_ADMIN, table2, &st,
	    MAX_LINE, 8, &cause);
	tap_ok(asrv != NULL, "server: admin socket");
	msrv = ctl_server_new(base, mpath, 0600, CTL_READ, table2, &st,
	    MAX_LINE, 2, &cause);
	tap_ok(msrv != NULL, "server: small socket");
	tap_ok(stat(apath, &sb) == 0 && (sb.st_mode & 0777) == 0660,
	    "server: socket mode");
	cause = NULL;
	dup = ctl_server_new(base, rpath, 0666, CTL_READ, table2, &st,
	    MAX_LINE, 8, &cause);
	tap_ok(dup == NULL && cause != NULL &&
	    strstr(cause, "already in use") != NULL,
	    "server: a second server on a live path refused");
	free(cause);
	if (rsrv == NULL || asrv == NULL || msrv == NULL)
		return;

	rc = pthread_create(&thread, NULL, loop_main, base);
	tap_is_int(rc, 0, "server: loop thread");

	test_basic(rpath, apath, logpath);
	test_leaving(rpath);
	test_max_clients(mpath);

	cause = NULL;
	path = tmp_path("none.sock");
	tap_ok(ctl_client_connect(path, &cause) == NULL && errno == ENOENT,
	    "client: connect to nothing fails");
	free(path);
	tap_ok(cause != NULL && strstr(cause, "No such file") != NULL,
	    "client: cause (%s)", cause);
	free(cause);

	event_base_loopexit(base, NULL);
	pthread_join(thread, NULL);
	ctl_server_free(rsrv);
	ctl_server_free(asrv);
	ctl_server_free(msrv);
	tap_ok(stat(rpath, &sb) == -1 && errno == ENOENT &&
	    stat(apath, &sb) == -1 && stat(mpath, &sb) == -1,
	    "server: socket files removed on free");
	event_base_free(base);
	log_open_file(NULL, &cause);
	unlink(logpath);
	free(rpath);
	free(apath);
	free(mpath);
	free(logpath);
}

int
main(void)
{
	/* A client that vanishes must not kill a daemon writing to it. */
	signal(SIGPIPE, SIG_IGN);
	log_init("test-ctl", 1, LOG_LVL_INFO);
	json_object_seed(1);
	evthread_use_pthreads();

	if (mkdtemp(tmpdir) == NULL) {
		tap_diag("mkdtemp: %s", strerror(errno));
		return 1;
	}
	test_frame();
	test_table();
	test_net();
	test_client_raw();
	test_server();
	rmdir(tmpdir);
	return tap_done();
}
