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

/*
 * The head is formatted in one go into a stack buffer: this runs for every
 * response, and one formatted write is much cheaper than one per header.
 */
void
response_write(const struct response *r, struct evbuffer *out,
    enum response_conn conn, int head_only, const char *worker)
{
	static const char *const conn_line[] = {
		[RESPONSE_KEEP] = "",
		[RESPONSE_KEEP_10] = "Connection: keep-alive\r\n",
		[RESPONSE_CLOSE] = "Connection: close\r\n",
	};
	char head[512], length[48] = "";
	int n;

	/* 204 and 304 carry no body and, for 204, no Content-Length
	 * (RFC 9110 section 8.6). */
	if (r->streaming)
		snprintf(length, sizeof length, "Content-Length: %lld\r\n",
		    (long long)r->stream_length);
	else if (r->status != 204 && r->status != 304)
		snprintf(length, sizeof length, "Content-Length: %zu\r\n",
		    r->body_len);
	n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\n"
	    "%s%s%s%sX-Pfo3-Worker: %s\r\n",
	    r->status, http_status_text(r->status),
	    r->content_type != NULL ? "Content-Type: " : "",
	    r->content_type != NULL ? r->content_type : "",
	    r->content_type != NULL ? "\r\n" : "", length, worker);
	if (n < 0 || (size_t)n >= sizeof head)
		n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\n%s",
		    r->status, http_status_text(r->status), length);
	evbuffer_add(out, head, (size_t)n);
	if (r->headers != NULL)
		evbuffer_add(out, r->headers, strlen(r->headers));
	evbuffer_add_printf(out, "%s\r\n", conn_line[conn]);
	if (!head_only && !r->streaming && r->body_len > 0)
		evbuffer_add(out, r->body, r->body_len);
}
