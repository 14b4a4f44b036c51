/*
 * conn-io.c — a connection's socket I/O.
 *
 * Each connection has one persistent, edge-triggered event for both
 * directions, registered once when it is accepted.  The kernel reports an
 * edge when the socket becomes readable or writable; `readable` and
 * `writable` remember what it said until a read or write finds the socket
 * drained (EAGAIN, or a short read) or full.  So a request costs a read and
 * a write and no epoll_ctl: pausing input while a request is on the pool is
 * just not reading, and the pending edge is still known when the
 * connection comes back.  (A level-triggered design must switch interest
 * on and off for every request, which cost four extra system calls.)
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "conn.h"

#define CONN_IO_CHUNK	16384	/* bytes asked of read(2) at a time */

int
conn_io_open(struct conn *c, struct event_base *base, event_callback_fn cb)
{
	c->in = evbuffer_new();
	c->out = evbuffer_new();
	c->ev = event_new(base, c->fd,
	    EV_READ | EV_WRITE | EV_CLOSED | EV_PERSIST | EV_ET, cb, c);
	if (c->in == NULL || c->out == NULL || c->ev == NULL)
		return -1;
	/* Optimistic: the first read or write tells the truth. */
	c->readable = c->writable = 1;
	return event_add(c->ev, NULL);
}

void
conn_io_close(struct conn *c)
{
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->fd != -1)
		close(c->fd);
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	c->ev = NULL;
	c->fd = -1;
	c->in = c->out = NULL;
}

/*
 * What one read(2) asks for: CONN_IO_CHUNK, or for a streamed body
 * (`whole`) all the socket holds, so a fast body costs a few large reads
 * and buffers, not one per 16 KiB.  Asking exactly what is there keeps
 * the buffer's memory to the bytes read.
 */
static size_t
conn_io_chunk(const struct conn *c, int whole)
{
	int n;

	if (!whole || ioctl(c->fd, FIONREAD, &n) == -1 || n < CONN_IO_CHUNK)
		return CONN_IO_CHUNK;
	return (size_t)n;
}

static int
conn_io_read_by(struct conn *c, size_t limit, int whole)
{
	struct evbuffer_iovec v;
	ssize_t n;
	size_t want, chunk;

	while (c->readable && !c->eof && evbuffer_get_length(c->in) < limit) {
		want = limit - evbuffer_get_length(c->in);
		chunk = conn_io_chunk(c, whole);
		if (want > chunk)
			want = chunk;
		if (evbuffer_reserve_space(c->in, (ev_ssize_t)want, &v, 1) < 1)
			return -1;
		if (v.iov_len > want)
			v.iov_len = want;
		n = read(c->fd, v.iov_base, v.iov_len);
		if (n > 0) {
			/*
			 * A short read emptied the socket: wait for an edge.
			 * Unless the client also shut its side: a FIN that
			 * came with the data sends no edge of its own, so
			 * read on until read(2) says 0.
			 */
			if ((size_t)n < v.iov_len && !c->rdhup)
				c->readable = 0;
			v.iov_len = (size_t)n;
			evbuffer_commit_space(c->in, &v, 1);
		} else if (n == 0) {
			c->eof = 1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			c->readable = 0;
		} else if (errno != EINTR)
			return -1;
	}
	return 0;
}

int
conn_io_read(struct conn *c, size_t limit)
{
	return conn_io_read_by(c, limit, 0);
}

int
conn_io_read_body(struct conn *c, size_t limit)
{
	return conn_io_read_by(c, limit, 1);
}

int
conn_io_flush(struct conn *c)
{
	int n;

	while (evbuffer_get_length(c->out) > 0) {
		if (!c->writable)
			return 0;
		n = evbuffer_write(c->out, c->fd);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				c->writable = 0;
			else if (errno != EINTR)
				return -1;
		}
	}
	return 1;
}

void
conn_io_event(struct conn *c, short what)
{
	if (what & (EV_READ | EV_CLOSED))
		c->readable = 1;
	if (what & EV_CLOSED)
		c->rdhup = 1;
	if (what & EV_WRITE)
		c->writable = 1;
}
