/*
 * fuzz-http.c — a libFuzzer target for the request-head parser
 * (common/http-parse.c); the chunked decoder has fuzz-chunked.c.
 *
 * Besides crashes and sanitizer reports it checks what the callers rely
 * on: pointers stay inside the buffer, a head that http_head_length framed
 * is never refused for framing by http_parse_head, one byte less of a
 * framed head is "incomplete", and every refusal carries a status the
 * worker knows how to send and a cause.
 *
 * Input: the first byte picks the header-count bound; the rest is what a
 * client sent.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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

/* The parsed request is large (HTTP_MAX_HEADERS_HARD fields): allocated
 * per input, so nothing of one run is left for the next. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request		*req;
	const char			*buf, *cause;
	size_t				 len, max_headers;
	ssize_t				 n;
	int				 status;
	unsigned char			 sel;

	if (size == 0)
		return 0;
	sel = data[0];
	buf = (const char *)data + 1;
	len = size - 1;
	/* A small bound, the usual one, or one beyond the hard bound. */
	max_headers = sel & 0x80 ? 8 : sel & 0x40 ? 100 : 300;

	(void)http_status_text(sel * 4);
	n = http_head_length(buf, len);
	if (n < -1 || n > (ssize_t)len)
		abort();
	if ((req = calloc(1, sizeof *req)) == NULL)
		abort();
	if (n <= 0) {
		/* Whatever the length says, the parser must stay in bounds. */
		(void)http_parse_head(buf, len, max_headers, req, &status,
		    &cause);
		free(req);
		return 0;
	}
	if (http_head_length(buf, (size_t)n - 1) != 0)
		abort();	/* one byte short is incomplete, not an error */

	if (http_parse_head(buf, (size_t)n, max_headers, req, &status,
	    &cause) != 0) {
		if (cause == NULL || (status != 400 && status != 417 &&
		    status != 431 && status != 501 && status != 505))
			abort();
		if (strcmp(cause, "bare CR") == 0 ||
		    strcmp(cause, "bare LF") == 0 ||
		    strcmp(cause, "incomplete request head") == 0 ||
		    strcmp(cause, "bytes after request head") == 0)
			abort();	/* http_head_length framed it */
		free(req);
		return 0;
	}
	fuzz_check_request(buf, (size_t)n, max_headers, req);
	free(req);
	return 0;
}
