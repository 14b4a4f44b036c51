/*
 * fuzz-http.c — a libFuzzer target for the request-head parser and the
 * chunked decoder.
 *
 * Besides crashes and sanitizer reports it checks what the callers rely
 * on: pointers stay inside the buffer, a head that http_head_length framed
 * is never refused for framing by http_parse_head, and a chunked body
 * decodes to the same bytes, the same end and the same verdict whether it
 * arrives whole or one byte at a time.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon \
 *     tests/fuzz/fuzz-http.c common/http-parse.c common/http-chunked.c \
 *     common/http-status.c -o fuzz-http
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A digest of the decoded data, so runs can be compared cheaply. */
struct fuzz_digest {
	uint64_t	hash;
	uint64_t	len;
};

/* The outcome of one decoding. */
struct fuzz_decoded {
	int			rc;
	size_t			consumed;
	struct fuzz_digest	digest;
};

static int
fuzz_sink(void *arg, const char *data, size_t len)
{
	struct fuzz_digest	*d = arg;
	size_t			 i;

	if (len == 0)
		abort();	/* the decoder never passes empty data */
	for (i = 0; i < len; i++)
		d->hash = (d->hash ^ (unsigned char)data[i]) * 0x100000001b3ULL;
	d->len += len;
	/* Refuse past a bound, as a body limit would. */
	return d->len > 1000000 ? -1 : 0;
}

/* Decodes in[0..len) fed in pieces of `step` bytes (0: all at once). */
static void
fuzz_decode(const char *in, size_t len, size_t step, size_t max_line,
    struct fuzz_decoded *out)
{
	struct http_chunked	 st;
	const char		*cause = NULL;
	size_t			 off = 0, n, used;

	memset(out, 0, sizeof *out);
	out->digest.hash = 0xcbf29ce484222325ULL;
	http_chunked_init(&st, max_line);
	do {
		n = len - off;
		if (step != 0 && n > step)
			n = step;
		out->rc = http_chunked_feed(&st, in + off, n, &used, fuzz_sink,
		    &out->digest, &cause);
		if (used > n)
			abort();
		if (out->rc == -1 && cause == NULL)
			abort();
		if (out->rc == 0 && used != n)
			abort();	/* more wanted but input left over */
		off += used;
	} while (out->rc == 0 && off < len);
	out->consumed = off;
}

/* Decodes a body whole and byte by byte; the two must agree. */
static void
fuzz_chunked(const char *in, size_t len, size_t max_line)
{
	struct fuzz_decoded	whole, bytes, odd;

	fuzz_decode(in, len, 0, max_line, &whole);
	fuzz_decode(in, len, 1, max_line, &bytes);
	fuzz_decode(in, len, 7, max_line, &odd);
	if (whole.rc != bytes.rc || whole.rc != odd.rc)
		abort();
	if (whole.rc == -1)
		return;		/* where it stopped may differ on refusal */
	if (whole.consumed != bytes.consumed || whole.consumed != odd.consumed)
		abort();
	if (whole.digest.len != bytes.digest.len ||
	    whole.digest.hash != bytes.digest.hash ||
	    whole.digest.hash != odd.digest.hash)
		abort();
}

/* 1 when p[0..len) lies inside buf[0..size). */
static int
fuzz_inside(const char *buf, size_t size, const char *p, size_t len)
{
	return p >= buf && len <= size && (size_t)(p - buf) <= size - len;
}

/* Checks what a successful parse promises. */
static void
fuzz_check_request(const char *buf, size_t size, size_t max_headers,
    const struct http_request *req)
{
	size_t	i, j;

	if (req->method_len == 0 || req->target_len == 0)
		abort();
	if (!fuzz_inside(buf, size, req->method, req->method_len) ||
	    !fuzz_inside(buf, size, req->target, req->target_len) ||
	    !fuzz_inside(req->target, req->target_len, req->path,
	    req->path_len))
		abort();
	if (req->query != NULL && !fuzz_inside(req->target, req->target_len,
	    req->query, req->query_len))
		abort();
	for (i = 0; i < req->target_len; i++) {
		if ((unsigned char)req->target[i] <= 0x20 ||
		    (unsigned char)req->target[i] >= 0x7f)
			abort();
	}
	if (req->version_minor != 0 && req->version_minor != 1)
		abort();
	if (req->nheaders > max_headers || req->nheaders > HTTP_MAX_HEADERS_HARD)
		abort();
	for (i = 0; i < req->nheaders; i++) {
		const struct http_header *h = &req->headers[i];

		if (h->name_len == 0 ||
		    !fuzz_inside(buf, size, h->name, h->name_len) ||
		    !fuzz_inside(buf, size, h->value, h->value_len))
			abort();
		for (j = 0; j < h->value_len; j++) {
			if (h->value[j] == '\r' || h->value[j] == '\n' ||
			    h->value[j] == '\0')
				abort();
		}
		if (http_header_find(req, "x") == NULL && h->name_len == 1 &&
		    (h->name[0] == 'x' || h->name[0] == 'X'))
			abort();
	}
	if (req->chunked && req->content_length != -1)
		abort();
	if (req->chunked && req->version_minor != 1)
		abort();
	if (req->content_length < -1)
		abort();
	if (req->version_minor == 1 && http_header_find(req, "host") == NULL)
		abort();
	(void)http_method_is(req, "GET");
}

/*
 * The first byte picks the mode and the bounds; the rest is either a
 * request (head, then a chunked body when it says so) or a bare chunked
 * body.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_request	 req;
	const char			*buf, *cause;
	size_t				 len, max_headers, max_line;
	ssize_t				 n;
	int				 status;
	unsigned char			 sel;

	if (size == 0)
		return 0;
	sel = data[0];
	buf = (const char *)data + 1;
	len = size - 1;
	max_line = (size_t)(sel & 0x3f) * 4;	/* 0 picks the default */
	max_headers = sel & 0x80 ? 8 : 300;	/* beyond the hard bound */

	if (sel & 0x40) {
		fuzz_chunked(buf, len, max_line);
		return 0;
	}

	(void)http_status_text(sel * 4);
	n = http_head_length(buf, len);
	if (n < -1 || n > (ssize_t)len)
		abort();
	if (n <= 0) {
		/* Whatever the length says, the parser must stay in bounds. */
		(void)http_parse_head(buf, len, max_headers, &req, &status,
		    &cause);
		return 0;
	}
	if (http_head_length(buf, (size_t)n - 1) != 0)
		abort();	/* one byte short is incomplete, not an error */

	if (http_parse_head(buf, (size_t)n, max_headers, &req, &status,
	    &cause) != 0) {
		if (cause == NULL || (status != 400 && status != 417 &&
		    status != 431 && status != 501 && status != 505))
			abort();
		if (strcmp(cause, "bare CR") == 0 ||
		    strcmp(cause, "bare LF") == 0 ||
		    strcmp(cause, "incomplete request head") == 0 ||
		    strcmp(cause, "bytes after request head") == 0)
			abort();	/* http_head_length framed it */
		return 0;
	}
	fuzz_check_request(buf, (size_t)n, max_headers, &req);
	if (req.chunked)
		fuzz_chunked(buf + n, len - (size_t)n, max_line);
	return 0;
}
