/*
 * fuzz-ctl.c — a libFuzzer target for the control protocol's server side:
 * request lines as a client sends them to a real server
 * (common/ctl-server.c: line splitting, CR, blank and oversized lines;
 * ctl-frame.c: decoding; ctl-table.c: lookup by prefix, arity and access;
 * ctl-call.c: replies now, later and streamed), and the same lines read as
 * replies by the client side (ctl_frame_decode_reply).
 *
 * Each input gets its own event base and server on a socket in a private
 * folder, and a client that sends the bytes, half-closes and reads until
 * the server closes.  Besides crashes, sanitizer reports and leaks it
 * checks that the server closes (a hang is a bug), that everything it sent
 * is whole reply lines with a boolean "ok" and an integer "v", and that it
 * never sends more final replies than the client sent lines.
 *
 * Input: byte 0 picks the line bound and the socket's access level; the
 * rest is what the client sends.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "ctl.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_TIMEOUT_S	5	/* the server must be done by then */

static char	fuzz_dir[] = "/tmp/pfo3-fuzz-ctl.XXXXXX";
static char	fuzz_sock[sizeof fuzz_dir + 16];

/* What the client received. */
struct fuzz_client {
	struct event_base	*base;
	char			*data;
	size_t			 len, size;
	int			 closed;
	int			 timed_out;
};

/* ---- the commands of the test server ------------------------------- */

/* Answers with its arguments. */
static void
fuzz_echo(struct ctl_call *call)
{
	json_t	*args;
	int	 i;

	args = json_array();
	for (i = 0; i < ctl_call_nargs(call); i++)
		json_array_append_new(args, json_string(ctl_call_arg(call, i)));
	ctl_call_reply(call, json_pack("{s:o}", "args", args));
}

static void
fuzz_later_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ctl_call_reply(arg, NULL);
}

/* Answers from a later event, as a handler waiting on a worker does. */
static void
fuzz_later(struct ctl_call *call)
{
	struct event_base *base = ctl_call_ctx(call);

	if (event_base_once(base, -1, EV_TIMEOUT, fuzz_later_cb, call,
	    NULL) != 0)
		abort();
}

/* Sends two lines, then the final reply. */
static void
fuzz_stream(struct ctl_call *call)
{
	int	i;

	for (i = 0; i < 2; i++) {
		if (ctl_call_stream(call, json_pack("{s:i}", "n", i)) != 0)
			return;
	}
	ctl_call_reply(call, NULL);
}

static void
fuzz_refuse(struct ctl_call *call)
{
	ctl_call_fail(call, "no worker named \"%s\"", ctl_call_arg(call, 0));
}

static const struct ctl_command fuzz_table[] = {
	{ "echo", "[ARG...]", 0, -1, CTL_READ, "Echo.", fuzz_echo },
	{ "status", "", 0, 0, CTL_READ, "Later.", fuzz_later },
	{ "watch", "", 0, 0, CTL_READ, "Stream.", fuzz_stream },
	{ "worker.drain", "ID", 1, 1, CTL_ADMIN, "Refuse.", fuzz_refuse },
	{ "worker.add", "[ID]", 0, 1, CTL_ADMIN, "Later.", fuzz_later },
	{ "workers.list", "", 0, 0, CTL_READ, "Echo.", fuzz_echo },
	{ NULL, NULL, 0, 0, CTL_READ, NULL, NULL },
};

/* ---- the client ----------------------------------------------------- */

static void
fuzz_client_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fuzz_client	*c = arg;
	ssize_t			 n;

	(void)what;
	for (;;) {
		if (c->size - c->len < 4096) {
			c->size = c->size * 2 + 4096;
			if ((c->data = realloc(c->data, c->size)) == NULL)
				abort();
		}
		n = read(fd, c->data + c->len, c->size - c->len);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		c->closed = 1;	/* EOF, or the server reset us */
		event_base_loopbreak(c->base);
		return;
	}
}

static void
fuzz_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fuzz_client	*c = arg;

	(void)fd;
	(void)what;
	c->timed_out = 1;
	event_base_loopbreak(c->base);
}

/* Connects to the server and sends `len` bytes, then half-closes. */
static int
fuzz_client_connect(const char *data, size_t len)
{
	struct sockaddr_un	 sun;
	ssize_t			 n;
	size_t			 off = 0;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", fuzz_sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
		abort();
	/* The kernel buffers libFuzzer's inputs (a few KB) whole. */
	while (off < len) {
		if ((n = write(fd, data + off, len - off)) <= 0)
			abort();
		off += (size_t)n;
	}
	if (shutdown(fd, SHUT_WR) != 0 || evutil_make_socket_nonblocking(fd))
		abort();
	return fd;
}

/* ---- checks ---------------------------------------------------------- */

/* Every received line is a reply; returns the number of final ones. */
static size_t
fuzz_check_replies(const char *data, size_t len)
{
	const char	*p = data, *nl;
	json_t		*rep;
	char		*cause = NULL;
	size_t		 finals = 0;

	if (len > 0 && data[len - 1] != '\n')
		abort();	/* a reply cut short */
	while (p < data + len) {
		nl = memchr(p, '\n', (size_t)(data + len - p));
		rep = ctl_frame_decode_reply(p, (size_t)(nl - p), &cause);
		if (rep == NULL)
			abort();
		if (!json_is_integer(json_object_get(rep, "v")))
			abort();
		if (json_object_get(rep, "n") == NULL)
			finals++;
		json_decref(rep);
		p = nl + 1;
	}
	return finals;
}

/* The client side reads each input line as a reply: any verdict will do. */
static void
fuzz_decode_lines(const char *data, size_t len)
{
	const char	*p = data, *nl, *end = data + len;
	json_t		*rep;
	char		*cause = NULL;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((rep = ctl_frame_decode_reply(p, (size_t)(nl - p),
		    &cause)) == NULL) {
			if (cause == NULL)
				abort();
			free(cause);
			cause = NULL;
		} else
			json_decref(rep);
		p = nl + 1;
	}
}

static void
fuzz_cleanup(void)
{
	unlink(fuzz_sock);
	rmdir(fuzz_dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 ready;
	struct fuzz_client	 c;
	struct ctl_server	*srv;
	struct event		*rd, *timer;
	struct timeval		 tv = { FUZZ_TIMEOUT_S, 0 };
	const char		*in;
	char			*cause = NULL;
	size_t			 len, max_line, lines, i;
	enum ctl_access		 level;
	int			 fd;

	if (!ready) {
		/* Constant for the whole run: nothing accumulates. */
		signal(SIGPIPE, SIG_IGN);
		log_init("fuzz-ctl", 1, LOG_LVL_ERROR);
		if (mkdtemp(fuzz_dir) == NULL)
			abort();
		snprintf(fuzz_sock, sizeof fuzz_sock, "%s/ctl.sock", fuzz_dir);
		atexit(fuzz_cleanup);
		ready = 1;
	}
	if (size == 0)
		return 0;
	max_line = 16 + (size_t)(data[0] & 0x7f) * 8;
	level = data[0] & 0x80 ? CTL_ADMIN : CTL_READ;
	in = (const char *)data + 1;
	len = size - 1;

	fuzz_decode_lines(in, len);

	memset(&c, 0, sizeof c);
	if ((c.base = event_base_new()) == NULL)
		abort();
	srv = ctl_server_new(c.base, fuzz_sock, 0600, level, fuzz_table,
	    c.base, max_line, 4, &cause);
	if (srv == NULL) {
		fprintf(stderr, "fuzz-ctl: %s\n", cause);
		abort();
	}
	fd = fuzz_client_connect(in, len);
	rd = event_new(c.base, fd, EV_READ | EV_PERSIST, fuzz_client_read_cb,
	    &c);
	timer = evtimer_new(c.base, fuzz_timeout_cb, &c);
	if (rd == NULL || timer == NULL || event_add(rd, NULL) != 0 ||
	    evtimer_add(timer, &tv) != 0)
		abort();
	while (!c.closed && !c.timed_out)
		event_base_loop(c.base, EVLOOP_ONCE);
	if (c.timed_out)
		abort();	/* the server never finished with the client */

	for (lines = 1, i = 0; i < len; i++)
		lines += in[i] == '\n';
	if (fuzz_check_replies(c.data, c.len) > lines)
		abort();

	event_free(rd);
	event_free(timer);
	close(fd);
	ctl_server_free(srv);
	event_base_free(c.base);
	free(c.data);
	return 0;
}
