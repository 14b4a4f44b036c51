/*
 * ctl-client.c — the blocking client side of the control protocol, for
 * pfo3ctl and the console.
 *
 * Replies are read into a buffer that may hold more than one line (a
 * streaming command sends several at once), which is why the console must
 * ask ctl_client_pending before it sleeps in poll().
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "ctl.h"
#include "net.h"
#include "xmalloc.h"

/* The largest reply line accepted: `help` and status snapshots of a big
 * installation stay far below it. */
#define CTL_CLIENT_MAX_REPLY	(16 * 1024 * 1024)
#define CTL_CLIENT_READ_SIZE	65536

struct ctl_client {
	int	 fd;
	char	*buf;
	size_t	 size;		/* bytes allocated */
	size_t	 start;		/* first byte not yet returned */
	size_t	 end;		/* end of the bytes read */
	size_t	 scan;		/* [start, scan) holds no newline */
	int	 discarding;	/* skipping the rest of an oversized reply */
};

/* Accepts a socket path; the returned client is blocking. */
struct ctl_client *
ctl_client_connect(const char *path, char **cause)
{
	struct ctl_client	*c;
	int			 fd;

	if ((fd = net_connect_unix(path, cause)) == -1)
		return NULL;
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	return c;
}

/*
 * Accepts a command name and its string arguments (UTF-8).  Writes the
 * whole request or fails; MSG_NOSIGNAL keeps a vanished server from
 * killing the caller with SIGPIPE.
 */
int
ctl_client_send(struct ctl_client *c, const char *cmd,
    const char *const *argv, int argc, char **cause)
{
	json_t	*req;
	char	*line;
	size_t	 len, off = 0;
	ssize_t	 n;
	int	 saved;

	if ((req = ctl_frame_request(cmd, argv, argc)) == NULL) {
		*cause = xstrdup("the command or an argument is not valid "
		    "UTF-8");
		errno = EINVAL;
		return -1;
	}
	line = ctl_frame_encode(req, &len);
	json_decref(req);

	while (off < len) {
		n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			*cause = xasprintf("send: %s", strerror(saved));
			free(line);
			errno = saved;
			return -1;
		}
		off += (size_t)n;
	}
	free(line);
	return 0;
}

/*
 * Returns the length of the first buffered line (without '\n'), or -1.
 * Remembers how far it looked, so a long reply arriving in many reads is
 * scanned once rather than once per read.
 */
static ssize_t
ctl_client_line(struct ctl_client *c)
{
	const char	*nl;

	if (c->scan < c->start)
		c->scan = c->start;
	if (c->scan == c->end)
		return -1;
	if ((nl = memchr(c->buf + c->scan, '\n', c->end - c->scan)) == NULL) {
		c->scan = c->end;
		return -1;
	}
	return nl - (c->buf + c->start);
}

/* Forgets everything buffered. */
static void
ctl_client_clear(struct ctl_client *c)
{
	c->start = c->end = c->scan = 0;
}

/* Removes the first `n` buffered bytes. */
static void
ctl_client_consume(struct ctl_client *c, size_t n)
{
	c->start += n;
	c->scan = c->start;
	if (c->start == c->end)
		ctl_client_clear(c);
}

/*
 * Drops what is left of an oversized reply once its newline has arrived.
 * Returns 1 while still inside that reply.
 */
static int
ctl_client_skip(struct ctl_client *c)
{
	ssize_t	 n;

	if (!c->discarding)
		return 0;
	if ((n = ctl_client_line(c)) == -1) {
		ctl_client_clear(c);
		return 1;
	}
	ctl_client_consume(c, (size_t)n + 1);
	c->discarding = 0;
	return 0;
}

/*
 * Reads once from the socket, waiting until `deadline` (ms on the
 * monotonic clock, -1: forever).  Returns 1 on data, 0 on EOF, -1 with
 * *cause on timeout or error.
 */
static int
ctl_client_fill(struct ctl_client *c, int64_t deadline, int timeout_ms,
    char **cause)
{
	struct pollfd	pfd;
	int64_t		left;
	ssize_t		n;
	int		wait, saved;

	for (;;) {
		wait = -1;
		if (deadline != -1) {
			left = deadline - clock_mono_ms();
			if (left < 0)
				left = 0;
			wait = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = poll(&pfd, 1, wait);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			*cause = xasprintf("poll: %s", strerror(saved));
			errno = saved;
			return -1;
		}
		if (n == 0) {
			*cause = xasprintf("no reply within %d ms", timeout_ms);
			errno = ETIMEDOUT;
			return -1;
		}
		break;
	}

	if (c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->end - c->start);
		c->end -= c->start;
		c->scan -= c->start;
		c->start = 0;
	}
	if (c->size - c->end < CTL_CLIENT_READ_SIZE) {
		/* Doubling keeps a 16 MiB reply from costing 256 copies. */
		c->size = c->size * 2 > c->end + CTL_CLIENT_READ_SIZE ?
		    c->size * 2 : c->end + CTL_CLIENT_READ_SIZE;
		c->buf = xrealloc(c->buf, c->size);
	}
	do
		n = read(c->fd, c->buf + c->end, c->size - c->end);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		saved = errno;
		*cause = xasprintf("read: %s", strerror(saved));
		errno = saved;
		return -1;
	}
	if (n == 0)
		return 0;
	c->end += (size_t)n;
	return 1;
}

/*
 * Accepts a timeout in ms (-1: none).  Returns the next reply, whether
 * already buffered or read now.
 */
json_t *
ctl_client_recv(struct ctl_client *c, int timeout_ms, char **cause)
{
	json_t	*rep;
	int64_t	 deadline = -1;
	char	*line;
	ssize_t	 n;
	size_t	 len;
	int	 r;

	if (timeout_ms >= 0)
		deadline = clock_mono_ms() + timeout_ms;

	for (;;) {
		if (!ctl_client_skip(c) && (n = ctl_client_line(c)) != -1)
			break;
		if (!c->discarding && c->end - c->start > CTL_CLIENT_MAX_REPLY) {
			c->discarding = 1;
			ctl_client_clear(c);
			*cause = xasprintf("reply too long (over %d bytes)",
			    CTL_CLIENT_MAX_REPLY);
			errno = EMSGSIZE;
			return NULL;
		}
		if ((r = ctl_client_fill(c, deadline, timeout_ms, cause)) == -1)
			return NULL;
		if (r == 0) {
			*cause = xstrdup(c->end == c->start || c->discarding ?
			    "connection closed by the server" :
			    "connection closed in the middle of a reply");
			ctl_client_clear(c);
			errno = ECONNRESET;
			return NULL;
		}
	}

	line = c->buf + c->start;
	len = (size_t)n;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > CTL_CLIENT_MAX_REPLY) {
		ctl_client_consume(c, (size_t)n + 1);
		*cause = xasprintf("reply too long (over %d bytes)",
		    CTL_CLIENT_MAX_REPLY);
		errno = EMSGSIZE;
		return NULL;
	}
	rep = ctl_frame_decode_reply(line, len, cause);
	ctl_client_consume(c, (size_t)n + 1);
	if (rep == NULL)
		errno = EBADMSG;
	return rep;
}

/* send, then the reply to it (see ctl_client_recv for the timeout). */
json_t *
ctl_client_call(struct ctl_client *c, const char *cmd,
    const char *const *argv, int argc, int timeout_ms, char **cause)
{
	if (ctl_client_send(c, cmd, argv, argc, cause) != 0)
		return NULL;
	return ctl_client_recv(c, timeout_ms, cause);
}

int
ctl_client_fd(const struct ctl_client *c)
{
	return c->fd;
}

/* Accepts a client; 1 when ctl_client_recv would not need to read. */
int
ctl_client_pending(const struct ctl_client *c)
{
	const char	*nl;
	size_t		 off = c->start;

	if (off == c->end)
		return 0;
	/* The tail of an oversized reply does not count as a reply. */
	if (c->discarding) {
		if ((nl = memchr(c->buf + off, '\n', c->end - off)) == NULL)
			return 0;
		off = (size_t)(nl - c->buf) + 1;
	} else if (c->scan > off)
		off = c->scan;
	return c->end > off && memchr(c->buf + off, '\n', c->end - off) != NULL;
}

/* Accepts a client or NULL. */
void
ctl_client_close(struct ctl_client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->buf);
	free(c);
}
