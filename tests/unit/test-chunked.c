/*
 * test-chunked.c — the incremental chunked-body decoder: good bodies fed
 * whole and in pieces down to one byte (same output every time), and the
 * framing errors it must refuse.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "tap.h"

/* Where the sink collects decoded data. */
struct collect {
	char	data[4096];
	size_t	len;
	size_t	calls;
	size_t	limit;		/* refuse once more than this arrives */
};

/* The result of decoding one input. */
struct result {
	int		 rc;
	size_t		 consumed;	/* in total, over all the pieces */
	const char	*cause;
	int		 piece_short;	/* 0 returned with bytes unconsumed */
	struct collect	 out;
};

static int
collect_sink(void *arg, const char *data, size_t len)
{
	struct collect	*c = arg;

	c->calls++;
	if (len == 0 || c->len + len > c->limit ||
	    c->len + len > sizeof c->data)
		return -1;
	memcpy(c->data + c->len, data, len);
	c->len += len;
	return 0;
}

/*
 * Feeds in[0..len) to a fresh decoder in pieces of `step` bytes (0 for all
 * at once) until it completes or fails.
 */
static void
decode(const char *in, size_t len, size_t step, size_t max_line,
    size_t limit, struct result *r)
{
	struct http_chunked	st;
	size_t			off = 0, n, used;

	memset(r, 0, sizeof *r);
	r->out.limit = limit;
	r->cause = NULL;
	http_chunked_init(&st, max_line);
	do {
		n = len - off;
		if (step != 0 && n > step)
			n = step;
		used = (size_t)-1;
		r->rc = http_chunked_feed(&st, in + off, n, &used, collect_sink,
		    &r->out, &r->cause);
		if (used > n) {
			r->piece_short = 1;
			break;
		}
		off += used;
		if (r->rc == 0 && used != n)
			r->piece_short = 1;
	} while (r->rc == 0 && off < len);
	r->consumed = off;
}

/* Decodes a good body whole and in pieces; all must agree. */
static void
check_good(const char *what, const char *in, size_t len, size_t max_line,
    const char *want, size_t want_consumed)
{
	static const size_t	 steps[] = { 0, 1, 2, 3, 7, 64 };
	struct result		 r;
	size_t			 i;
	int			 same = 1;

	decode(in, len, 0, max_line, SIZE_MAX, &r);
	tap_is_int(r.rc, 1, "%s: complete", what);
	if (r.rc != 1)
		tap_diag("cause: %s", r.cause ? r.cause : "(none)");
	tap_is_int((long long)r.consumed, (long long)want_consumed,
	    "%s: consumed", what);
	tap_ok(r.out.len == strlen(want) &&
	    memcmp(r.out.data, want, r.out.len) == 0, "%s: data", what);

	for (i = 1; i < sizeof steps / sizeof steps[0]; i++) {
		decode(in, len, steps[i], max_line, SIZE_MAX, &r);
		if (r.rc != 1 || r.consumed != want_consumed ||
		    r.piece_short || r.out.len != strlen(want) ||
		    memcmp(r.out.data, want, r.out.len) != 0) {
			tap_diag("step %zu: rc %d consumed %zu len %zu", steps[i],
			    r.rc, r.consumed, r.out.len);
			same = 0;
		}
	}
	tap_ok(same, "%s: same result in pieces of 1, 2, 3, 7, 64", what);
}

/* Decodes a bad body whole and byte by byte; both must fail the same way. */
static void
check_bad(const char *what, const char *in, size_t len, size_t max_line,
    const char *cause)
{
	struct result	r;

	decode(in, len, 0, max_line, SIZE_MAX, &r);
	tap_is_int(r.rc, -1, "%s: refused", what);
	tap_is_str(r.cause, cause, "%s: cause", what);
	decode(in, len, 1, max_line, SIZE_MAX, &r);
	tap_is_int(r.rc, -1, "%s: refused byte by byte", what);
	tap_is_str(r.cause, cause, "%s: same cause byte by byte", what);
}

#define GOOD(what, s, want, consumed) \
	check_good(what, s, sizeof(s) - 1, 0, want, consumed)
#define BAD(what, s, cause) \
	check_bad(what, s, sizeof(s) - 1, 0, cause)
#define BAD_LINE(what, s, max, cause) \
	check_bad(what, s, sizeof(s) - 1, max, cause)

static void
test_good(void)
{
	GOOD("one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello", 15);
	GOOD("no chunks", "0\r\n\r\n", "", 5);
	GOOD("two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
	    "hello world", 26);
	GOOD("hex sizes", "a\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n",
	    "0123456789abcdefghijk", 36);
	GOOD("leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello", 20);
	GOOD("sixteen digits", "0000000000000005\r\nhello\r\n"
	    "0000000000000000\r\n\r\n", "hello", 45);
	GOOD("extensions", "5;name=value\r\nhello\r\n"
	    "6 ; a=\"quoted ; \\\" str\" ;b\r\n world\r\n0;last\r\n\r\n",
	    "hello world", 67);
	GOOD("extension with obs-text", "3;x=caf\xc3\xa9\r\nabc\r\n0\r\n\r\n",
	    "abc", 21);
	GOOD("trailers", "5\r\nhello\r\n0\r\nX-Checksum: abc\r\n"
	    "Empty:\r\nY-Sp: \t a b \r\n\r\n", "hello", 54);
	GOOD("data holds CR and LF", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n",
	    14);
	GOOD("pipelined request after the body",
	    "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	    "hello", 15);
	GOOD("pipelined after trailers",
	    "1\r\nx\r\n0\r\nT: 1\r\n\r\n0\r\n\r\n", "x", 17);
}

static void
test_incremental(void)
{
	struct http_chunked	 st;
	struct collect		 out;
	const char		*cause = NULL;
	size_t			 used;
	int			 rc;

	memset(&out, 0, sizeof out);
	out.limit = SIZE_MAX;
	http_chunked_init(&st, 0);
	tap_is_int((long long)st.max_line, 4096, "max_line 0 means 4096");
	rc = http_chunked_feed(&st, "", 0, &used, collect_sink, &out, &cause);
	tap_is_int(rc, 0, "no input needs more");
	tap_is_int((long long)used, 0, "no input consumed");

	rc = http_chunked_feed(&st, "ffffffffffffffff\r\nabc", 21, &used,
	    collect_sink, &out, &cause);
	tap_is_int(rc, 0, "huge chunk needs more");
	tap_is_int((long long)used, 21, "huge chunk: all consumed");
	tap_is_int((long long)out.len, 3, "huge chunk: first bytes passed on");
	tap_ok(st.remaining == UINT64_MAX - 3, "huge chunk: remaining counts");

	/* Once done, later input is left alone. */
	http_chunked_init(&st, 0);
	rc = http_chunked_feed(&st, "0\r\n\r\nXYZ", 8, &used, NULL, NULL,
	    &cause);
	tap_is_int(rc, 1, "NULL sink, body complete");
	tap_is_int((long long)used, 5, "stops at the end of the body");
	rc = http_chunked_feed(&st, "XYZ", 3, &used, NULL, NULL, &cause);
	tap_is_int(rc, 1, "fed again after the end: still complete");
	tap_is_int((long long)used, 0, "fed again: nothing consumed");

	/* One sink call per contiguous piece of a chunk. */
	memset(&out, 0, sizeof out);
	out.limit = SIZE_MAX;
	http_chunked_init(&st, 0);
	rc = http_chunked_feed(&st, "a\r\n0123456789\r\n0\r\n\r\n", 20, &used,
	    collect_sink, &out, &cause);
	tap_is_int(rc, 1, "whole body at once");
	tap_is_int((long long)out.calls, 1, "one sink call for one chunk");
}

static void
test_refused(void)
{
	struct result	r;
	const char	body[] = "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";

	decode(body, sizeof body - 1, 0, 0, 7, &r);
	tap_is_int(r.rc, -1, "sink refusal stops the body");
	tap_is_str(r.cause, "body refused", "cause: body refused");
	tap_is_int((long long)r.out.len, 5, "data before refusal was passed");
	decode(body, sizeof body - 1, 1, 0, 7, &r);
	tap_is_int(r.rc, -1, "sink refusal byte by byte");
	tap_is_int((long long)r.out.len, 7, "byte by byte: up to the limit");
}

static void
test_bad(void)
{
	/* Chunk sizes. */
	BAD("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", "invalid chunk size");
	BAD("seventeen digits", "fffffffffffffffff\r\n", "chunk size too large");
	BAD("seventeen with zeros", "00000000000000005\r\nhello\r\n0\r\n\r\n",
	    "chunk size too large");
	BAD("no size", "\r\nhello\r\n0\r\n\r\n", "missing chunk size");
	BAD("extension without size", ";x\r\n", "missing chunk size");
	BAD("plus sign", "+5\r\nhello\r\n0\r\n\r\n", "missing chunk size");
	BAD("minus sign", "-5\r\nhello\r\n0\r\n\r\n", "missing chunk size");
	BAD("leading space", " 5\r\nhello\r\n0\r\n\r\n", "missing chunk size");
	BAD("space inside size", "5 5\r\nhello\r\n0\r\n\r\n",
	    "invalid chunk size");
	BAD("space after size", "5 \r\nhello\r\n0\r\n\r\n",
	    "whitespace after chunk size");
	BAD("letter after size", "5g\r\nhello\r\n0\r\n\r\n",
	    "invalid chunk size");
	BAD("bare LF after size", "5\nhello\r\n0\r\n\r\n", "invalid chunk size");
	BAD("bare CR after size", "5\rhello\r\n0\r\n\r\n",
	    "bare CR in chunk size line");
	BAD("NUL in size", "5\0\r\nhello\r\n0\r\n\r\n", "invalid chunk size");

	/* Extensions. */
	BAD("control in extension", "5;a\x01\r\nhello\r\n0\r\n\r\n",
	    "invalid chunk extension");
	BAD("bare LF in extension", "5;a\nhello\r\n0\r\n\r\n",
	    "invalid chunk extension");
	BAD("NUL in extension", "5;a=\0\r\nhello\r\n0\r\n\r\n",
	    "invalid chunk extension");
	BAD("bare CR in extension", "5;a\rb\r\nhello\r\n0\r\n\r\n",
	    "bare CR in chunk size line");
	BAD_LINE("extension too long",
	    "5;aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nhello\r\n0\r\n\r\n", 32,
	    "chunk extension too long");
	BAD_LINE("size line too long",
	    "5                                       ;a\r\nhello\r\n0\r\n\r\n", 32,
	    "chunk size line too long");

	/* The CRLF after data. */
	BAD("data longer than size", "5\r\nhelloX\r\n0\r\n\r\n",
	    "missing CRLF after chunk data");
	BAD("data shorter than size", "5\r\nhell\r\n0\r\n\r\n",
	    "missing CRLF after chunk data");
	BAD("bare LF after data", "5\r\nhello\n0\r\n\r\n",
	    "missing CRLF after chunk data");
	BAD("bare CR after data", "5\r\nhello\r0\r\n\r\n",
	    "missing CRLF after chunk data");
	BAD("no CRLF before next size", "5\r\nhello5\r\nworld\r\n0\r\n\r\n",
	    "missing CRLF after chunk data");

	/* Trailers. */
	BAD("bare CR in trailer", "0\r\nX: a\rb\r\n\r\n",
	    "bare CR in trailer section");
	BAD("bare LF in trailer", "0\r\nX: a\n\r\n",
	    "invalid character in trailer value");
	BAD("bare LF ending trailers", "0\r\n\n", "invalid trailer field name");
	BAD("bare CR ending trailers", "0\r\n\rX", "bare CR in trailer section");
	BAD("obs-fold in trailer", "0\r\nX: a\r\n b\r\n\r\n",
	    "obs-fold in trailer");
	BAD("trailer without colon", "0\r\nXa\r\n\r\n",
	    "trailer field without colon");
	BAD("space before trailer colon", "0\r\nX : a\r\n\r\n",
	    "invalid trailer field name");
	BAD("empty trailer name", "0\r\n: a\r\n\r\n",
	    "invalid trailer field name");
	BAD("NUL in trailer value", "0\r\nX: a\0b\r\n\r\n",
	    "invalid character in trailer value");
	BAD("DEL in trailer value", "0\r\nX: a\x7f\r\n\r\n",
	    "invalid character in trailer value");
	BAD_LINE("trailer line too long",
	    "0\r\nX: 01234567890123456789\r\n\r\n", 16,
	    "trailer field too long");
	BAD_LINE("trailer section too long",
	    "0\r\nX: 0123456789\r\nX: 0123456789\r\nX: 0123456789\r\n"
	    "X: 0123456789\r\nX: 0123456789\r\n\r\n", 16,
	    "trailer section too long");
}

int
main(void)
{
	test_good();
	test_incremental();
	test_refused();
	test_bad();
	return tap_done();
}
