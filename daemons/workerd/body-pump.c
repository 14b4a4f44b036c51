/* body-pump.c — see body-pump.h. */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "body-pump.h"
#include "stream.h"
#include "xmalloc.h"

/* Sets the framing both ways share. */
static void
body_pump_frame(struct body_pump *p, const struct http_request *req,
    int64_t max, size_t max_line)
{
	p->chunked = req->chunked;
	p->length = req->content_length > 0 ? req->content_length : 0;
	p->max = max;
	if (p->chunked)
		http_chunked_init(&p->dechunk, max_line);
}

/* Chunked data of a buffered body. */
static int
body_pump_buffer_sink(void *arg, const char *data, size_t len)
{
	struct body_pump *p = arg;
	size_t max = (size_t)p->max;

	if (len > max - p->len) {
		p->too_large = 1;
		return -1;
	}
	if (p->len + len > p->cap) {
		p->cap = p->cap * 2 + len;
		if (p->cap > max)
			p->cap = max;
		p->buf = xrealloc(p->buf, p->cap + 1);
	}
	memcpy(p->buf + p->len, data, len);
	p->len += len;
	return 0;
}

int
body_pump_buffer_start(struct body_pump *p, const struct http_request *req,
    int64_t max, size_t max_line)
{
	if (req->content_length > max)
		return -1;
	body_pump_frame(p, req, max, max_line);
	p->cap = (size_t)p->length;
	p->buf = xmalloc(p->cap + 1);
	return 0;
}

int
body_pump_buffer(struct body_pump *p, struct evbuffer *in, int *status,
    const char **cause)
{
	size_t avail = evbuffer_get_length(in), want, used;
	const char *data;
	int rc;

	if (!p->chunked) {
		want = (size_t)p->length - p->len;
		if (want > avail)
			want = avail;
		want = (size_t)evbuffer_remove(in, p->buf + p->len, want);
		p->len += want;
		body_clock_add(&p->clock, (int64_t)want);
		if ((int64_t)p->len < p->length)
			return 0;
		p->buf[p->len] = '\0';
		return 1;
	}
	if (avail == 0)
		return 0;
	data = (const char *)evbuffer_pullup(in, -1);
	rc = http_chunked_feed(&p->dechunk, data, avail, &used,
	    body_pump_buffer_sink, p, cause);
	evbuffer_drain(in, used);
	body_clock_add(&p->clock, (int64_t)used);
	if (rc == -1) {
		*status = p->too_large ? 413 : 400;
		if (p->too_large)
			*cause = "request body too large";
		return -1;
	}
	if (rc == 0)
		return 0;
	p->buf[p->len] = '\0';
	return 1;
}

void
body_pump_take(struct body_pump *p, struct evbuffer *in, size_t len)
{
	p->buf = xmalloc(len + 1);
	evbuffer_remove(in, p->buf, len);
	p->buf[len] = '\0';
	p->len = p->cap = len;
}

int
body_pump_stream_start(struct body_pump *p, const struct http_request *req,
    int64_t max, size_t max_line, struct stream *pipe)
{
	if (req->content_length > max) {
		stream_free(pipe);
		return -1;
	}
	body_pump_frame(p, req, max, max_line);
	p->pipe = pipe;
	if (!p->chunked && p->length == 0)
		body_pump_end(p, 0, NULL);
	return 0;
}

enum body_pump_room
body_pump_room(struct body_pump *p, int64_t now_ms)
{
	if (stream_room(p->pipe) == 0) {
		if (!stream_pause_put(p->pipe))
			return PUMP_RETRY;
		/* The handler is slow, not the client: no rate check now. */
		body_clock_pause(&p->clock);
		return PUMP_FULL;
	}
	if (p->clock.paused) {
		body_clock_resume(&p->clock, now_ms);
		return PUMP_RESUMED;
	}
	return PUMP_ROOM;
}

/* Chunked data of a streamed body. */
static int
body_pump_stream_sink(void *arg, const char *data, size_t len)
{
	struct body_pump *p = arg;

	if ((int64_t)len > p->max - p->fed) {
		p->too_large = 1;
		return -1;
	}
	stream_put(p->pipe, data, len);
	p->fed += (int64_t)len;
	return 0;
}

int
body_pump_feed(struct body_pump *p, struct evbuffer *in, int eof)
{
	size_t room = stream_room(p->pipe), avail, n, used;
	const char *data, *cause;
	int rc;

	if ((avail = evbuffer_get_length(in)) == 0) {
		if (eof)
			body_pump_end(p, 400, "the connection closed in the "
			    "middle of the request body");
		return 0;
	}
	n = avail < room ? avail : room;
	if (!p->chunked) {
		if ((int64_t)n > p->length - p->fed)
			n = (size_t)(p->length - p->fed);
		/* The socket's buffers change hands: no copy, no new buffer
		 * for each piece. */
		stream_put_buffer(p->pipe, in, n);
		p->fed += (int64_t)n;
		body_clock_add(&p->clock, (int64_t)n);
		rc = p->fed == p->length;
	} else {
		data = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
		rc = http_chunked_feed(&p->dechunk, data, n, &used,
		    body_pump_stream_sink, p, &cause);
		evbuffer_drain(in, used);
		body_clock_add(&p->clock, (int64_t)used);
		if (rc == -1) {
			body_pump_end(p, p->too_large ? 413 : 400,
			    p->too_large ? "request body too large" : cause);
			return 0;
		}
	}
	if (rc == 1)
		body_pump_end(p, 0, NULL);
	return 1;
}

void
body_pump_end(struct body_pump *p, int status, const char *cause)
{
	stream_close(p->pipe, status, cause);
	p->done = 1;
}

void
body_pump_clear(struct body_pump *p)
{
	free(p->buf);
	stream_free(p->pipe);
	memset(p, 0, sizeof *p);
}
