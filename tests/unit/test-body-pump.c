/*
 * test-body-pump.c — a request body from the input buffer to its handler
 * (body-pump.c): buffered bodies framed by Content-Length or chunked, cut
 * at their limit with 413 and at bad framing with 400; streamed bodies
 * moved only as far as the pipe has room, the body clock paused while the
 * pipe is full, errors handed to the reader through the pipe.
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "body-pump.h"
#include "stream.h"
#include "tap.h"

/* A request head as far as the pump reads it. */
static struct http_request
head(int64_t content_length, int chunked)
{
	struct http_request req;

	memset(&req, 0, sizeof req);
	req.content_length = content_length;
	req.chunked = chunked;
	return req;
}

static void
add(struct evbuffer *in, const char *s)
{
	evbuffer_add(in, s, strlen(s));
}

static void
buffered(void)
{
	struct evbuffer *in = evbuffer_new();
	struct body_pump p;
	struct http_request req;
	const char *cause = NULL;
	int rc, status = 0;

	memset(&p, 0, sizeof p);
	req = head(10, 0);
	tap_is_int(body_pump_buffer_start(&p, &req, 10, 64), 0,
	    "Content-Length at the limit: accepted");
	add(in, "hello");
	tap_is_int(body_pump_buffer(&p, in, &status, &cause), 0,
	    "half the body: wait for more");
	add(in, "worldGET /");
	tap_is_int(body_pump_buffer(&p, in, &status, &cause), 1,
	    "the rest: complete");
	tap_is_str(p.buf, "helloworld", "the body, NUL-terminated");
	tap_is_int((long long)evbuffer_get_length(in), 5,
	    "the next request's bytes stay in the input");
	body_pump_clear(&p);
	tap_ok(p.buf == NULL && p.len == 0, "cleared: nothing held");
	evbuffer_drain(in, evbuffer_get_length(in));

	req = head(11, 0);
	tap_is_int(body_pump_buffer_start(&p, &req, 10, 64), -1,
	    "Content-Length over the limit: refused before any byte");

	req = head(-1, 1);
	body_pump_buffer_start(&p, &req, 10, 64);
	add(in, "5\r\nhel");
	tap_is_int(body_pump_buffer(&p, in, &status, &cause), 0,
	    "chunked: a chunk cut in two waits");
	add(in, "lo\r\n0\r\n\r\n");
	tap_is_int(body_pump_buffer(&p, in, &status, &cause), 1,
	    "chunked: the last chunk completes it");
	tap_is_str(p.buf, "hello", "chunked: the decoded body");
	body_pump_clear(&p);

	body_pump_buffer_start(&p, &req, 4, 64);
	add(in, "5\r\nhello\r\n");
	tap_ok(body_pump_buffer(&p, in, &status, &cause) == -1 &&
	    status == 413, "chunked: a body over the limit is a 413");
	tap_is_str(cause, "request body too large", "with its cause");
	body_pump_clear(&p);
	evbuffer_drain(in, evbuffer_get_length(in));

	body_pump_buffer_start(&p, &req, 10, 64);
	add(in, "zz\r\n");
	rc = body_pump_buffer(&p, in, &status, &cause);
	tap_ok(rc == -1 && status == 400,
	    "chunked: a bad chunk size is a 400 (%s)", cause);
	body_pump_clear(&p);
	evbuffer_drain(in, evbuffer_get_length(in));

	add(in, "{\"a\":1}{");
	body_pump_take(&p, in, 7);
	tap_ok(p.len == 7 && strcmp(p.buf, "{\"a\":1}") == 0 &&
	    evbuffer_get_length(in) == 1, "take: exactly the delimited bytes");
	body_pump_clear(&p);
	evbuffer_free(in);
}

/* Reads what the pipe holds (never blocks: the caller knows it is there). */
static ssize_t
drain(struct body_pump *p, char *buf, size_t len)
{
	int status;
	const char *cause;

	return stream_read(p->pipe, buf, len, &status, &cause);
}

static void
streamed(struct event *wake)
{
	struct evbuffer *in = evbuffer_new();
	struct body_pump p;
	struct http_request req;
	char buf[16];
	const char *cause = NULL;
	ssize_t rc;
	int status = 0;

	memset(&p, 0, sizeof p);
	req = head(10, 0);
	tap_is_int(body_pump_stream_start(&p, &req, 10, 64,
	    stream_new(4, wake)), 0, "stream: Content-Length at the limit");
	tap_is_int(body_pump_room(&p, 0), PUMP_ROOM, "an empty pipe has room");
	add(in, "0123456789");
	tap_is_int(body_pump_feed(&p, in, 0), 1, "feed: bytes moved");
	tap_ok(p.fed == 4 && evbuffer_get_length(in) == 6,
	    "only what the pipe has room for (4 of 10)");
	tap_is_int(body_pump_room(&p, 0), PUMP_FULL, "a full pipe: stop");
	tap_ok(p.clock.paused, "the body clock is paused meanwhile");
	tap_is_int((long long)drain(&p, buf, sizeof buf), 4,
	    "the handler reads the 4 bytes");
	tap_is_int(body_pump_room(&p, 1000), PUMP_RESUMED,
	    "room again: the clock restarts");
	tap_ok(!p.clock.paused && p.clock.window_start_ms == 1000,
	    "a new rate window from then");
	body_pump_feed(&p, in, 0);
	drain(&p, buf, sizeof buf);
	tap_ok(body_pump_feed(&p, in, 0) == 1 && p.done && p.fed == 10,
	    "the last bytes end the body");
	memset(buf, 0, sizeof buf);
	tap_ok(drain(&p, buf, sizeof buf) == 2 && memcmp(buf, "89", 2) == 0 &&
	    drain(&p, buf, sizeof buf) == 0, "the reader gets them, then EOF");
	body_pump_clear(&p);
	tap_ok(p.pipe == NULL && !p.done, "cleared: the pipe is freed");

	req = head(11, 0);
	tap_is_int(body_pump_stream_start(&p, &req, 10, 64,
	    stream_new(4, wake)), -1, "stream: Content-Length over the limit");
	tap_ok(p.pipe == NULL, "the refused pipe is not kept");

	req = head(-1, 0);
	body_pump_stream_start(&p, &req, 10, 64, stream_new(4, wake));
	tap_ok(p.done && drain(&p, buf, sizeof buf) == 0,
	    "no body: done at once, the reader sees EOF");
	body_pump_clear(&p);

	req = head(10, 0);
	body_pump_stream_start(&p, &req, 10, 64, stream_new(64, wake));
	add(in, "abc");
	body_pump_feed(&p, in, 0);
	tap_ok(body_pump_feed(&p, in, 1) == 0 && p.done,
	    "the client closes mid-body: the body ends");
	drain(&p, buf, sizeof buf);
	rc = stream_read(p.pipe, buf, sizeof buf, &status, &cause);
	tap_ok(rc == -1 && status == 400, "the reader gets a 400 (%s)", cause);
	body_pump_clear(&p);

	req = head(-1, 1);
	body_pump_stream_start(&p, &req, 4, 64, stream_new(64, wake));
	add(in, "5\r\nhello\r\n0\r\n\r\n");
	tap_ok(body_pump_feed(&p, in, 0) == 0 && p.done,
	    "chunked over the limit: the body ends");
	rc = stream_read(p.pipe, buf, sizeof buf, &status, &cause);
	tap_ok(rc == -1 && status == 413, "the reader gets a 413 (%s)", cause);
	body_pump_clear(&p);
	evbuffer_free(in);
}

int
main(void)
{
	struct event_base *base = event_base_new();
	struct event *wake = event_new(base, -1, 0, NULL, NULL);

	buffered();
	streamed(wake);
	event_free(wake);
	event_base_free(base);
	return tap_done();
}
