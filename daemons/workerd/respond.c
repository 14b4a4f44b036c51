/* respond.c — see respond.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "http.h"
#include "respond.h"
#include "stream.h"
#include "xmalloc.h"

void
response_init(struct response *r)
{
	memset(r, 0, sizeof *r);
}

void
response_clear(struct response *r)
{
	free(r->body);
	free(r->headers);
	response_init(r);
}

void
response_body(struct response *r, int status, const char *ctype, char *body,
    size_t len)
{
	free(r->body);
	r->status = status;
	r->content_type = ctype;
	r->body = body;
	r->body_len = len;
}

int
response_stream_begin(struct response *r, int status, const char *ctype,
    int64_t length)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->status = status;
	r->content_type = ctype;
	r->streaming = 1;
	r->stream_length = length;
	if (r->stream_open == NULL)
		return -1;
	return r->stream_open(r, r->stream_arg);
}

void
response_park(struct response *r, int64_t user, int64_t until_ms)
{
	r->park_user = user;
	r->park_until_ms = until_ms;
}

int
response_stream_write(struct response *r, const void *data, size_t len)
{
	if (r->stream == NULL)
		return -1;
	return stream_write(r->stream, data, len);
}

void
response_json(struct response *r, int status, json_t *obj)
{
	char *text;

	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (text == NULL) {
		response_error(r, 500, "cannot encode the response");
		return;
	}
	/* json_dumps gives a terminated string: reuse its room for '\n'. */
	text = xrealloc(text, strlen(text) + 2);
	strcat(text, "\n");
	response_body(r, status, "application/json", text, strlen(text));
}

void
response_error(struct response *r, int status, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	response_json(r, status, json_pack("{s:s}", "error",
	    msg != NULL ? msg : "error"));
	free(msg);
}

void
response_header(struct response *r, const char *fmt, ...)
{
	va_list ap;
	char *line, *all;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) == -1)
		line = NULL;
	va_end(ap);
	if (line == NULL)
		return;
	all = xasprintf("%s%s\r\n", r->headers != NULL ? r->headers : "", line);
	free(line);
	free(r->headers);
	r->headers = all;
}

void
response_retry_default(struct response *r, int64_t seconds)
{
	if (r->status != 503 || (r->headers != NULL &&
	    strcasestr(r->headers, "Retry-After:") != NULL))
		return;
	response_header(r, "Retry-After: %lld", (long long)seconds);
}

/* Copies `len` bytes to `p`; returns the end of the copy. */
static char *
response_put(char *p, const char *s, size_t len)
{
	memcpy(p, s, len);
	return p + len;
}

/* Writes the decimal digits of a value ≥ 0 (at most 20) to `p`. */
static char *
response_put_num(char *p, unsigned long long v)
{
	char digits[24], *d = digits + sizeof digits;

	do
		*--d = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return response_put(p, d, (size_t)(digits + sizeof digits - d));
}

/* Field names, CRLFs and numbers of a head: at most this many bytes. */
#define RESPONSE_HEAD_FIXED	128

/*
 * The head is assembled by copies into a stack buffer, its size checked
 * once, and added in one go: this runs for every response, and
 * printf-style formatting of it was the largest cost of answering
 * /healthz.
 */
void
response_write(const struct response *r, struct evbuffer *out,
    enum response_conn conn, int head_only, const char *worker)
{
	static const char *const conn_line[] = {
		[RESPONSE_KEEP] = "\r\n",
		[RESPONSE_KEEP_10] = "Connection: keep-alive\r\n\r\n",
		[RESPONSE_CLOSE] = "Connection: close\r\n\r\n",
	};
	const char *text = http_status_text(r->status);
	size_t tlen = strlen(text), wlen = strlen(worker);
	size_t clen = r->content_type != NULL ? strlen(r->content_type) : 0;
	char head[512], *p = head;
	int64_t length = -1;
	int full;

	/* 204 and 304 carry no body and, for 204, no Content-Length
	 * (RFC 9110 section 8.6). */
	if (r->streaming)
		length = r->stream_length;
	else if (r->status != 204 && r->status != 304)
		length = (int64_t)r->body_len;
	/* An oversized content type or worker id: the bare minimum.  The
	 * status texts are short constants (http-status.c). */
	full = tlen + clen + wlen + RESPONSE_HEAD_FIXED <= sizeof head;
	p = response_put(p, "HTTP/1.1 ", 9);
	p = response_put_num(p, (unsigned)r->status);
	*p++ = ' ';
	p = response_put(p, text, tlen);
	p = response_put(p, "\r\n", 2);
	if (full && r->content_type != NULL) {
		p = response_put(p, "Content-Type: ", 14);
		p = response_put(p, r->content_type, clen);
		p = response_put(p, "\r\n", 2);
	}
	if (length >= 0) {
		p = response_put(p, "Content-Length: ", 16);
		p = response_put_num(p, (unsigned long long)length);
		p = response_put(p, "\r\n", 2);
	}
	if (full) {
		p = response_put(p, "X-Pfo3-Worker: ", 15);
		p = response_put(p, worker, wlen);
		p = response_put(p, "\r\n", 2);
	}
	evbuffer_add(out, head, (size_t)(p - head));
	if (r->headers != NULL)
		evbuffer_add(out, r->headers, strlen(r->headers));
	/* The connection line, if any, and the empty line ending the head. */
	evbuffer_add(out, conn_line[conn], strlen(conn_line[conn]));
	if (!head_only && !r->streaming && r->body_len > 0)
		evbuffer_add(out, r->body, r->body_len);
}
