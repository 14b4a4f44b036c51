/*
 * http-parse.c — the request head: framing, request line, header fields
 * and the fields that decide how the body is framed (RFC 9112, RFC 9110).
 *
 * Every ambiguity is refused: HAProxy in front may frame a request one way,
 * and if this parser framed it another the difference is a smuggled
 * request.  Nothing is allocated; the request points into the buffer.
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "http.h"

/*
 * RFC 9112 section 2.2 asks a server to ignore at least one empty line
 * before the request line (clients once sent a CRLF after a POST body).
 * A few are tolerated; more is garbage, not a request.
 */
#define HTTP_MAX_EMPTY_LINES	4

/* What the header fields said, gathered before the final checks. */
struct http_fields {
	int	n_content_length;
	int	n_transfer_encoding;
	int	n_host;
	int	te_chunked;		/* Transfer-Encoding is exactly chunked */
	int	te_empty;		/* Transfer-Encoding has an empty value */
	int	expect_unknown;		/* an expectation other than 100-continue */
	int	conn_close;
	int	conn_keep_alive;
};

/* Sets the response status and reason; always returns -1. */
static int
http_fail(int *status, const char **cause, int code, const char *why)
{
	if (status != NULL)
		*status = code;
	if (cause != NULL)
		*cause = why;
	return -1;
}

/* 1 for a tchar of RFC 9110 section 5.6.2, the bytes of a token. */
int
http_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* 1 when s[0..len) is a non-empty token. */
static int
http_is_token(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (!http_is_tchar((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* The ASCII lower case of c: field names must not depend on the locale. */
static unsigned char
http_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* 1 when s[0..len) equals the NUL-terminated `lit`, ignoring ASCII case. */
static int
http_equal_nocase(const char *s, size_t len, const char *lit)
{
	size_t	i;

	if (strlen(lit) != len)
		return 0;
	for (i = 0; i < len; i++) {
		if (http_lower((unsigned char)s[i]) !=
		    http_lower((unsigned char)lit[i]))
			return 0;
	}
	return 1;
}

/*
 * Accepts any bytes.  The leading empty lines are skipped (up to
 * HTTP_MAX_EMPTY_LINES), then the head ends at the first empty line.  A CR
 * must be followed by LF and an LF preceded by CR; both are checked as far
 * as the bytes go, so garbage is refused before the whole head arrives.
 */
ssize_t
http_head_length(const char *buf, size_t len)
{
	size_t	i = 0, line_start, empties = 0;

	for (;;) {
		if (i >= len)
			return 0;
		if (buf[i] == '\n')
			return -1;
		if (buf[i] != '\r')
			break;
		if (i + 1 >= len)
			return 0;
		if (buf[i + 1] != '\n')
			return -1;
		i += 2;
		if (++empties > HTTP_MAX_EMPTY_LINES)
			return -1;
	}

	line_start = i;
	for (; i < len; i++) {
		if (buf[i] == '\n')
			return -1;
		if (buf[i] != '\r')
			continue;
		if (i + 1 >= len)
			return 0;
		if (buf[i + 1] != '\n')
			return -1;
		if (i == line_start)
			return (ssize_t)(i + 2);
		i++;
		line_start = i + 1;
	}
	return 0;
}

/*
 * Accepts buf[0..len) and an offset into it.  Finds the line at *off, which
 * must end with CRLF, sets *line and *line_len (without the CRLF) and moves
 * *off past the CRLF.  Returns -1 with *why on a bare CR, a bare LF or a
 * line that does not end before len.
 */
static int
http_next_line(const char *buf, size_t len, size_t *off, const char **line,
    size_t *line_len, const char **why)
{
	size_t	i;

	for (i = *off; i < len; i++) {
		if (buf[i] == '\n') {
			*why = "bare LF";
			return -1;
		}
		if (buf[i] != '\r')
			continue;
		if (i + 1 >= len || buf[i + 1] != '\n') {
			*why = "bare CR";
			return -1;
		}
		*line = buf + *off;
		*line_len = i - *off;
		*off = i + 2;
		return 0;
	}
	*why = "incomplete request head";
	return -1;
}

/*
 * Accepts the request line without its CRLF: method SP request-target SP
 * HTTP-version, with exactly one SP between the parts.  Fills the method,
 * target, path, query and version of req.
 */
static int
http_parse_request_line(const char *line, size_t len,
    struct http_request *req, int *status, const char **cause)
{
	const char	*target, *version, *q;
	size_t		 i, target_len, version_len;

	for (i = 0; i < len && http_is_tchar((unsigned char)line[i]); i++)
		/* nothing */;
	if (i == len)
		return http_fail(status, cause, 400, "malformed request line");
	if (i == 0 || line[i] != ' ')
		return http_fail(status, cause, 400, "invalid method");
	req->method = line;
	req->method_len = i;

	/* Visible ASCII only: a SP ends it, controls and '#' are refused. */
	target = line + i + 1;
	for (i = i + 1; i < len && line[i] != ' '; i++) {
		if ((unsigned char)line[i] <= 0x20 ||
		    (unsigned char)line[i] >= 0x7f || line[i] == '#')
			return http_fail(status, cause, 400,
			    "invalid request target");
	}
	if (i == len)
		return http_fail(status, cause, 400, "malformed request line");
	target_len = (size_t)(line + i - target);
	if (target_len == 0)
		return http_fail(status, cause, 400, "invalid request target");

	/* Only origin-form, and asterisk-form for OPTIONS. */
	if (target_len == 1 && target[0] == '*') {
		if (!http_method_is(req, "OPTIONS"))
			return http_fail(status, cause, 400,
			    "asterisk target without OPTIONS");
	} else if (target[0] != '/')
		return http_fail(status, cause, 400, "invalid request target");
	req->target = target;
	req->target_len = target_len;
	req->path = target;
	q = memchr(target, '?', target_len);
	if (q != NULL) {
		req->path_len = (size_t)(q - target);
		req->query = q + 1;
		req->query_len = target_len - req->path_len - 1;
	} else {
		req->path_len = target_len;
		req->query = NULL;
		req->query_len = 0;
	}

	version = line + i + 1;
	version_len = len - i - 1;
	if (version_len != 8 || memcmp(version, "HTTP/", 5) != 0 ||
	    version[5] < '0' || version[5] > '9' || version[6] != '.' ||
	    version[7] < '0' || version[7] > '9')
		return http_fail(status, cause, 400, "malformed HTTP version");
	if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
		return http_fail(status, cause, 505,
		    "unsupported HTTP version");
	req->version_minor = version[7] - '0';
	return 0;
}

/*
 * Accepts a Content-Length value (OWS already removed): 1*DIGIT, no sign,
 * no list, at most INT64_MAX.  Returns the length or -1.
 */
static int64_t
http_parse_content_length(const char *s, size_t len)
{
	int64_t	n = 0;
	size_t	i;
	int	d;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = s[i] - '0';
		if (n > (INT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	return n;
}

/*
 * Accepts a Host value: empty, or reg-name / IP-literal with an optional
 * port.  Only the characters those may hold are checked: enough to keep
 * '/', '@', '?' and whitespace out of anything that uses the host.
 */
static int
http_host_is_valid(const char *s, size_t len)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (strchr("-._~%!$&'()*+,;=:[]", c) == NULL)
			return 0;
	}
	return 1;
}

/*
 * Accepts a Connection value: a comma-separated list of tokens, empty
 * elements allowed (RFC 9110 section 5.6.1).  Records close and keep-alive.
 */
static int
http_parse_connection(const char *s, size_t len, struct http_fields *f)
{
	size_t	i = 0, start, end;

	while (i <= len) {
		start = i;
		while (i < len && s[i] != ',')
			i++;
		end = i;
		while (start < end && (s[start] == ' ' || s[start] == '\t'))
			start++;
		while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
			end--;
		if (end > start) {
			if (!http_is_token(s + start, end - start))
				return -1;
			if (http_equal_nocase(s + start, end - start, "close"))
				f->conn_close = 1;
			else if (http_equal_nocase(s + start, end - start,
			    "keep-alive"))
				f->conn_keep_alive = 1;
		}
		i++;	/* past the comma, or past the end */
	}
	return 0;
}

/*
 * Accepts one header line without its CRLF.  Checks the name and value
 * syntax, stores the field in req and records the framing fields in f.
 */
static int
http_parse_field(const char *line, size_t len, size_t max_headers,
    struct http_request *req, struct http_fields *f, int *status,
    const char **cause)
{
	struct http_header	*h;
	const char		*v;
	size_t			 i, name_len, vlen;
	unsigned char		 c;

	if (line[0] == ' ' || line[0] == '\t')
		return http_fail(status, cause, 400, "obs-fold in header");
	for (i = 0; i < len && http_is_tchar((unsigned char)line[i]); i++)
		/* nothing */;
	if (i == len)
		return http_fail(status, cause, 400, "header without colon");
	if (line[i] == ' ' || line[i] == '\t')
		return http_fail(status, cause, 400,
		    "whitespace before header colon");
	if (line[i] != ':' || i == 0)
		return http_fail(status, cause, 400, "invalid header name");
	name_len = i;

	v = line + i + 1;
	vlen = len - i - 1;
	while (vlen > 0 && (v[0] == ' ' || v[0] == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (i = 0; i < vlen; i++) {
		c = (unsigned char)v[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return http_fail(status, cause, 400,
			    "invalid character in header value");
	}

	if (req->nheaders >= max_headers)
		return http_fail(status, cause, 431, "too many header fields");
	h = &req->headers[req->nheaders++];
	h->name = line;
	h->name_len = name_len;
	h->value = v;
	h->value_len = vlen;

	if (http_equal_nocase(h->name, h->name_len, "Content-Length")) {
		if (++f->n_content_length > 1)
			return http_fail(status, cause, 400,
			    "repeated Content-Length");
		req->content_length = http_parse_content_length(v, vlen);
		if (req->content_length == -1)
			return http_fail(status, cause, 400,
			    "invalid Content-Length");
	} else if (http_equal_nocase(h->name, h->name_len,
	    "Transfer-Encoding")) {
		if (++f->n_transfer_encoding > 1)
			return http_fail(status, cause, 400,
			    "repeated Transfer-Encoding");
		f->te_empty = vlen == 0;
		f->te_chunked = http_equal_nocase(v, vlen, "chunked");
	} else if (http_equal_nocase(h->name, h->name_len, "Host")) {
		if (++f->n_host > 1)
			return http_fail(status, cause, 400, "repeated Host");
		if (!http_host_is_valid(v, vlen))
			return http_fail(status, cause, 400, "invalid Host");
	} else if (http_equal_nocase(h->name, h->name_len, "Connection")) {
		if (http_parse_connection(v, vlen, f) != 0)
			return http_fail(status, cause, 400,
			    "invalid Connection");
	} else if (http_equal_nocase(h->name, h->name_len, "Expect")) {
		if (http_equal_nocase(v, vlen, "100-continue"))
			req->expect_continue = 1;
		else
			f->expect_unknown = 1;
	}
	return 0;
}

/*
 * Accepts buf[0..len), a whole head ending with its empty line and nothing
 * after it, and up to max_headers fields (capped at HTTP_MAX_HEADERS_HARD).
 * Fills req, whose pointers refer to buf.  status and cause may be NULL.
 */
int
http_parse_head(const char *buf, size_t len, size_t max_headers,
    struct http_request *req, int *status, const char **cause)
{
	struct http_fields	 f;
	const char		*line, *why;
	size_t			 off = 0, line_len, empties = 0;

	memset(&f, 0, sizeof f);
	req->method = req->target = req->path = req->query = NULL;
	req->method_len = req->target_len = req->path_len = 0;
	req->query_len = 0;
	req->version_minor = 0;
	req->nheaders = 0;
	req->content_length = -1;
	req->chunked = 0;
	req->keep_alive = 0;
	req->expect_continue = 0;
	if (max_headers > HTTP_MAX_HEADERS_HARD)
		max_headers = HTTP_MAX_HEADERS_HARD;

	for (;;) {
		if (http_next_line(buf, len, &off, &line, &line_len, &why) != 0)
			return http_fail(status, cause, 400, why);
		if (line_len != 0)
			break;
		if (++empties > HTTP_MAX_EMPTY_LINES)
			return http_fail(status, cause, 400,
			    "too many empty lines");
	}
	if (http_parse_request_line(line, line_len, req, status, cause) != 0)
		return -1;

	for (;;) {
		if (http_next_line(buf, len, &off, &line, &line_len, &why) != 0)
			return http_fail(status, cause, 400, why);
		if (line_len == 0)
			break;
		if (http_parse_field(line, line_len, max_headers, req, &f,
		    status, cause) != 0)
			return -1;
	}
	if (off != len)
		return http_fail(status, cause, 400, "bytes after request head");

	if (req->version_minor == 1 && f.n_host == 0)
		return http_fail(status, cause, 400, "missing Host");
	if (f.n_transfer_encoding != 0) {
		if (f.n_content_length != 0)
			return http_fail(status, cause, 400,
			    "Content-Length with Transfer-Encoding");
		if (req->version_minor == 0)
			return http_fail(status, cause, 400,
			    "Transfer-Encoding in HTTP/1.0");
		if (f.te_empty)
			return http_fail(status, cause, 400,
			    "empty Transfer-Encoding");
		if (!f.te_chunked)
			return http_fail(status, cause, 501,
			    "unsupported transfer coding");
		req->chunked = 1;
	}
	if (f.expect_unknown)
		return http_fail(status, cause, 417, "unsupported expectation");
	/* RFC 9110 section 10.1.1: 100-continue is ignored from HTTP/1.0. */
	if (req->version_minor == 0)
		req->expect_continue = 0;

	if (f.conn_close)
		req->keep_alive = 0;
	else if (req->version_minor == 1)
		req->keep_alive = 1;
	else
		req->keep_alive = f.conn_keep_alive;

	if (status != NULL)
		*status = 0;
	if (cause != NULL)
		*cause = NULL;
	return 0;
}

/* Accepts a parsed request and a NUL-terminated name (any case). */
const struct http_header *
http_header_find(const struct http_request *req, const char *name)
{
	size_t	i;

	for (i = 0; i < req->nheaders; i++) {
		if (http_equal_nocase(req->headers[i].name,
		    req->headers[i].name_len, name))
			return &req->headers[i];
	}
	return NULL;
}

/* Accepts a parsed request and a NUL-terminated method, compared exactly. */
int
http_method_is(const struct http_request *req, const char *m)
{
	size_t	len = strlen(m);

	return req->method != NULL && req->method_len == len &&
	    memcmp(req->method, m, len) == 0;
}
