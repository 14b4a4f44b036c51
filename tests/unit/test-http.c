/*
 * test-http.c — the request-head parser: head framing, good requests, and
 * every kind of head it must refuse (request smuggling above all).
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "tap.h"

/* One head the parser must refuse. */
struct bad_head {
	const char	*raw;
	size_t		 len;
	int		 framing;	/* http_head_length must return -1 */
	int		 status;
	const char	*cause;
};

#define BAD(s, st, c)		{ s, sizeof(s) - 1, 0, st, c }
#define BAD_FRAMING(s, c)	{ s, sizeof(s) - 1, 1, 400, c }

static const struct bad_head bad_heads[] = {
	/* Request line. */
	BAD("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505,
	    "unsupported HTTP version"),
	BAD("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505,
	    "unsupported HTTP version"),
	BAD("GET / HTTP/0.9\r\n\r\n", 505, "unsupported HTTP version"),
	BAD("GET / HTTP/3.1\r\nHost: a\r\n\r\n", 505,
	    "unsupported HTTP version"),
	BAD("GET / http/1.1\r\nHost: a\r\n\r\n", 400, "malformed HTTP version"),
	BAD("GET / HTTP/1\r\nHost: a\r\n\r\n", 400, "malformed HTTP version"),
	BAD("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400,
	    "malformed HTTP version"),
	BAD("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400,
	    "malformed HTTP version"),
	BAD("GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400, "malformed HTTP version"),
	BAD("GET / FOO\r\nHost: a\r\n\r\n", 400, "malformed HTTP version"),
	BAD("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "malformed HTTP version"),
	BAD("GET /\r\n\r\n", 400, "malformed request line"),
	BAD("GET\r\n\r\n", 400, "malformed request line"),
	BAD("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "invalid request target"),
	BAD(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid method"),
	BAD("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid method"),
	BAD("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid method"),
	BAD("G\0T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid method"),
	BAD("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "invalid request target"),
	BAD("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "invalid request target"),
	BAD("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "asterisk target without OPTIONS"),
	BAD("OPTIONS *? HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "invalid request target"),
	BAD("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "invalid request target"),
	BAD("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "invalid request target"),
	BAD("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "invalid request target"),
	BAD("GET /\t HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "invalid request target"),
	BAD("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "invalid request target"),
	BAD("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 400,
	    "invalid request target"),

	/* Line endings: a bare CR or LF anywhere. */
	BAD_FRAMING("GET / HTTP/1.1\nHost: a\r\n\r\n", "bare LF"),
	BAD_FRAMING("GET / HTTP/1.1\r\nHost: a\n\r\n", "bare LF"),
	BAD_FRAMING("GET / HTTP/1.1\r\nHost: a\r\n\n", "bare LF"),
	BAD_FRAMING("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", "bare CR"),
	BAD_FRAMING("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\r\n\r\n", "bare CR"),
	BAD_FRAMING("GET / HTTP/1.1\rHost: a\r\n\r\n", "bare CR"),
	BAD_FRAMING("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", "bare CR"),
	BAD_FRAMING("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	    "too many empty lines"),

	/* Header field syntax. */
	BAD("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\n", 400,
	    "obs-fold in header"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\tfolded\r\n\r\n", 400,
	    "obs-fold in header"),
	BAD("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400, "obs-fold in header"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nX : 1\r\n\r\n", 400,
	    "whitespace before header colon"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nX\t: 1\r\n\r\n", 400,
	    "whitespace before header colon"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\n: 1\r\n\r\n", 400,
	    "invalid header name"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n", 400,
	    "invalid header name"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nX\xc3\xa9: 1\r\n\r\n", 400,
	    "invalid header name"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nX\0: 1\r\n\r\n", 400,
	    "invalid header name"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400,
	    "header without colon"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 400,
	    "invalid character in header value"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nX: \0\r\n\r\n", 400,
	    "invalid character in header value"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n", 400,
	    "invalid character in header value"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400,
	    "invalid character in header value"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[0m\r\n\r\n", 400,
	    "invalid character in header value"),

	/* Content-Length. */
	BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400,
	    "invalid Content-Length"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400,
	    "invalid Content-Length"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400,
	    "invalid Content-Length"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,5\r\n\r\n", 400,
	    "invalid Content-Length"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n", 400,
	    "invalid Content-Length"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", 400,
	    "invalid Content-Length"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5.0\r\n\r\n", 400,
	    "invalid Content-Length"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400,
	    "invalid Content-Length"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: five\r\n\r\n", 400,
	    "invalid Content-Length"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 9223372036854775808\r\n\r\n", 400,
	    "invalid Content-Length"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 99999999999999999999999\r\n\r\n", 400,
	    "invalid Content-Length"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	    "Content-Length: 5\r\n\r\n", 400, "repeated Content-Length"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-length: 5\r\n"
	    "content-LENGTH: 6\r\n\r\n", 400, "repeated Content-Length"),

	/* Transfer-Encoding, and its mixing with Content-Length. */
	BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400,
	    "Content-Length with Transfer-Encoding"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 0\r\n\r\n", 400,
	    "Content-Length with Transfer-Encoding"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
	    "Content-Length: 5\r\n\r\n", 400,
	    "Content-Length with Transfer-Encoding"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n"
	    "\r\n", 400, "whitespace before header colon"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n"
	    "\r\n", 501, "unsupported transfer coding"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunkedx\r\n"
	    "\r\n", 501, "unsupported transfer coding"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n"
	    "\r\n", 501, "unsupported transfer coding"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n"
	    "\r\n", 501, "unsupported transfer coding"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked, chunked\r\n\r\n", 501,
	    "unsupported transfer coding"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n"
	    "\r\n", 501, "unsupported transfer coding"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n"
	    "\r\n", 501, "unsupported transfer coding"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400,
	    "empty Transfer-Encoding"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400,
	    "repeated Transfer-Encoding"),
	BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
	    "transfer-encoding: chunked\r\n\r\n", 400,
	    "repeated Transfer-Encoding"),
	BAD("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
	    "Transfer-Encoding in HTTP/1.0"),

	/* Host. */
	BAD("GET / HTTP/1.1\r\n\r\n", 400, "missing Host"),
	BAD("GET / HTTP/1.1\r\nX-Host: a\r\n\r\n", 400, "missing Host"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400,
	    "repeated Host"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400,
	    "repeated Host"),
	BAD("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "invalid Host"),
	BAD("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "invalid Host"),
	BAD("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, "invalid Host"),
	BAD("GET / HTTP/1.1\r\nHost: a\xc3\xa9\r\n\r\n", 400, "invalid Host"),

	/* Connection and Expect. */
	BAD("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep alive\r\n\r\n", 400,
	    "invalid Connection"),
	BAD("GET / HTTP/1.1\r\nHost: a\r\nConnection: close;x\r\n\r\n", 400,
	    "invalid Connection"),
	BAD("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n"
	    "Content-Length: 1\r\n\r\n", 417, "unsupported expectation"),
	BAD("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, foo\r\n"
	    "Content-Length: 1\r\n\r\n", 417, "unsupported expectation"),
	BAD("PUT / HTTP/1.1\r\nHost: a\r\nExpect:\r\n"
	    "Content-Length: 1\r\n\r\n", 417, "unsupported expectation"),

	/* Incomplete heads handed to the parser anyway. */
	BAD("", 400, "incomplete request head"),
	{ NULL, 0, 0, 0, NULL },
};

/* Parses raw[0..len) as a whole head; returns what http_parse_head did. */
static int
parse(const char *raw, size_t len, size_t max_headers,
    struct http_request *req, int *status, const char **cause)
{
	*status = -1;
	*cause = "(unset)";
	return http_parse_head(raw, len, max_headers, req, status, cause);
}

/* Parses a NUL-terminated head that must be accepted. */
static int
parse_ok(const char *raw, struct http_request *req, const char *what)
{
	const char	*cause;
	int		 status, rc;
	size_t		 len = strlen(raw);

	tap_is_int(http_head_length(raw, len), (long long)len,
	    "%s: head length", what);
	rc = parse(raw, len, 64, req, &status, &cause);
	if (!tap_is_int(rc, 0, "%s: accepted", what))
		tap_diag("status %d: %s", status, cause);
	return rc;
}

/* Checks s[0..len) against the NUL-terminated want. */
static void
is_span(const char *s, size_t len, const char *want, const char *what)
{
	char	buf[512];

	if (s == NULL) {
		tap_is_str(NULL, want, "%s", what);
		return;
	}
	snprintf(buf, sizeof buf, "%.*s", (int)len, s);
	if (len >= sizeof buf || memchr(s, '\0', len) != NULL)
		tap_ok(0, "%s (unprintable)", what);
	else
		tap_is_str(buf, want, "%s", what);
}

/* Checks the value of header `name` in req. */
static void
is_header(const struct http_request *req, const char *name, const char *want)
{
	const struct http_header *h;

	h = http_header_find(req, name);
	if (want == NULL) {
		tap_ok(h == NULL, "no header %s", name);
		return;
	}
	if (!tap_ok(h != NULL, "header %s found", name))
		return;
	is_span(h->value, h->value_len, want, name);
}

static void
test_head_length(void)
{
	const char	*good = "GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY";
	size_t		 head = strlen(good) - 4, k;
	int		 all_zero = 1;

	for (k = 0; k < head; k++) {
		if (http_head_length(good, k) != 0) {
			all_zero = 0;
			tap_diag("prefix %zu gave %zd", k,
			    http_head_length(good, k));
		}
	}
	tap_ok(all_zero, "every prefix of a head needs more bytes");
	tap_is_int(http_head_length(good, head), (long long)head,
	    "head length exact");
	tap_is_int(http_head_length(good, head + 4), (long long)head,
	    "head length excludes the body");
	tap_is_int(http_head_length("", 0), 0, "empty buffer needs more");
	tap_is_int(http_head_length("GET / HTTP/1.1\r", 15), 0,
	    "CR at the end needs more");
	tap_is_int(http_head_length("GET / HTTP/1.1\rX", 16), -1,
	    "bare CR seen early");
	tap_is_int(http_head_length("GET / HTTP/1.1\n", 15), -1,
	    "bare LF seen early");
	tap_is_int(http_head_length("GET / HTTP/1.1\r\nHost: a\r\n\n", 26), -1,
	    "bare LF as the empty line");
	tap_is_int(http_head_length("\n", 1), -1, "bare LF first");
	tap_is_int(http_head_length("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	    31), 31, "two leading empty lines skipped");
	tap_is_int(http_head_length("\r\n\r\n\r\n\r\n", 8), 0,
	    "four leading empty lines: still waiting");
	tap_is_int(http_head_length("\r\n\r\n\r\n\r\n\r\n", 10), -1,
	    "five leading empty lines refused");
	tap_is_int(http_head_length("\r\r\n", 3), -1,
	    "leading bare CR refused");
	tap_is_int(http_head_length("G\0T / HTTP/1.1\r\n\r\n", 18), 18,
	    "head length ignores NUL (parse refuses it)");
}

static void
test_get_query(void)
{
	struct http_request	 req;
	const char		*raw = "GET /api/v1/items?a=1&b=%20x HTTP/1.1\r\n"
	    "Host: example.com:8080\r\n"
	    "User-Agent: test/1.0\r\n"
	    "Accept: */*\r\n"
	    "\r\n";

	if (parse_ok(raw, &req, "GET with query") != 0)
		return;
	is_span(req.method, req.method_len, "GET", "method");
	is_span(req.target, req.target_len, "/api/v1/items?a=1&b=%20x",
	    "target");
	is_span(req.path, req.path_len, "/api/v1/items", "path");
	is_span(req.query, req.query_len, "a=1&b=%20x", "query");
	tap_is_int(req.version_minor, 1, "version 1.1");
	tap_is_int((long long)req.nheaders, 3, "three headers");
	tap_is_int(req.content_length, -1, "no Content-Length");
	tap_is_int(req.chunked, 0, "not chunked");
	tap_is_int(req.keep_alive, 1, "HTTP/1.1 keeps alive");
	tap_is_int(req.expect_continue, 0, "no Expect");
	is_span(req.headers[1].name, req.headers[1].name_len, "User-Agent",
	    "second header name");
	is_header(&req, "host", "example.com:8080");
	is_header(&req, "HOST", "example.com:8080");
	is_header(&req, "accept", "*/*");
	is_header(&req, "Accep", NULL);
	is_header(&req, "Content-Length", NULL);
	tap_ok(http_method_is(&req, "GET"), "method is GET");
	tap_ok(!http_method_is(&req, "get"), "methods are case-sensitive");
	tap_ok(!http_method_is(&req, "GE"), "method prefix is not the method");
	tap_ok(!http_method_is(&req, "GETS"), "longer method differs");
}

static void
test_targets(void)
{
	struct http_request	req;

	if (parse_ok("GET /x? HTTP/1.1\r\nHost: a\r\n\r\n", &req,
	    "empty query") == 0) {
		is_span(req.path, req.path_len, "/x", "path before empty query");
		tap_ok(req.query != NULL && req.query_len == 0,
		    "empty query is present and empty");
	}
	if (parse_ok("GET /a?b?c HTTP/1.1\r\nHost: a\r\n\r\n", &req,
	    "two question marks") == 0) {
		is_span(req.path, req.path_len, "/a", "path to first '?'");
		is_span(req.query, req.query_len, "b?c", "query keeps '?'");
	}
	if (parse_ok("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &req, "root") == 0) {
		is_span(req.path, req.path_len, "/", "root path");
		tap_ok(req.query == NULL, "no query");
	}
	if (parse_ok("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &req,
	    "OPTIONS *") == 0) {
		is_span(req.target, req.target_len, "*", "asterisk target");
		is_span(req.path, req.path_len, "*", "asterisk path");
		tap_ok(req.query == NULL, "asterisk has no query");
	}
	if (parse_ok("PURGE /c HTTP/1.1\r\nHost: a\r\n\r\n", &req,
	    "extension method") == 0)
		tap_ok(http_method_is(&req, "PURGE"), "method PURGE");
	if (parse_ok("M-!#$%&'*+.^_`|~9 /~a!$&'()*+,;=:@[]{}|\\^`\"<> "
	    "HTTP/1.1\r\nHost: a\r\n\r\n", &req, "all tchars, all VCHAR") == 0)
		is_span(req.target, req.target_len,
		    "/~a!$&'()*+,;=:@[]{}|\\^`\"<>", "VCHAR target");
}

static void
test_post_bodies(void)
{
	struct http_request	 req;
	const char		*raw, *cause;
	ssize_t			 n;
	int			 status;

	raw = "POST /api/v1/tasks HTTP/1.1\r\nHost: a\r\n"
	    "Content-Type: application/json\r\nContent-Length: 5\r\n\r\n"
	    "hello";
	n = http_head_length(raw, strlen(raw));
	tap_is_int(n, (long long)strlen(raw) - 5, "POST head ends at body");
	if (n > 0 && parse(raw, (size_t)n, 64, &req, &status, &cause) == 0) {
		tap_is_int(req.content_length, 5, "Content-Length 5");
		tap_is_int(req.chunked, 0, "POST with length is not chunked");
		is_span(raw + n, 5, "hello", "body follows the head");
	} else
		tap_ok(0, "POST with Content-Length parsed: %s", cause);

	if (parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
	    &req, "Content-Length 0") == 0)
		tap_is_int(req.content_length, 0, "length 0");
	if (parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n",
	    &req, "leading zeros") == 0)
		tap_is_int(req.content_length, 7, "length 007 is 7");
	if (parse_ok("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length:   12 \t\r\n\r\n", &req, "CL with OWS") == 0)
		tap_is_int(req.content_length, 12, "OWS around length ignored");
	if (parse_ok("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 9223372036854775807\r\n\r\n", &req,
	    "largest length") == 0)
		tap_is_int(req.content_length, INT64_MAX, "INT64_MAX length");

	if (parse_ok("POST /up HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", &req, "chunked POST") == 0) {
		tap_is_int(req.chunked, 1, "chunked");
		tap_is_int(req.content_length, -1, "chunked has no length");
	}
	if (parse_ok("POST /up HTTP/1.1\r\nHost: a\r\n"
	    "transfer-encoding:  CHUNKED \r\n\r\n", &req,
	    "chunked in any case") == 0)
		tap_is_int(req.chunked, 1, "CHUNKED is chunked");
}

static void
test_connection(void)
{
	struct http_request	req;

	if (parse_ok("GET / HTTP/1.0\r\n\r\n", &req, "bare HTTP/1.0") == 0) {
		tap_is_int(req.version_minor, 0, "version 1.0");
		tap_is_int(req.keep_alive, 0, "HTTP/1.0 closes by default");
		tap_is_int((long long)req.nheaders, 0, "no headers");
	}
	if (parse_ok("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &req,
	    "HTTP/1.0 keep-alive") == 0)
		tap_is_int(req.keep_alive, 1, "HTTP/1.0 keep-alive kept");
	if (parse_ok("GET / HTTP/1.0\r\nConnection: Foo ,, Keep-Alive\r\n\r\n",
	    &req, "HTTP/1.0 keep-alive in a list") == 0)
		tap_is_int(req.keep_alive, 1, "keep-alive found in list");
	if (parse_ok("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
	    "Connection: close\r\n\r\n", &req, "HTTP/1.0 both") == 0)
		tap_is_int(req.keep_alive, 0, "close wins over keep-alive");
	if (parse_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	    &req, "HTTP/1.1 close") == 0)
		tap_is_int(req.keep_alive, 0, "HTTP/1.1 close");
	if (parse_ok("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: upgrade, CLOSE\r\n\r\n", &req, "close in list") == 0)
		tap_is_int(req.keep_alive, 0, "CLOSE in list closes");
	if (parse_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n",
	    &req, "closed is not close") == 0)
		tap_is_int(req.keep_alive, 1, "closed keeps alive");
	if (parse_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection:\r\n\r\n",
	    &req, "empty Connection") == 0)
		tap_is_int(req.keep_alive, 1, "empty Connection keeps alive");
}

static void
test_fields(void)
{
	struct http_request	req;

	if (parse_ok("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n"
	    "Content-Length: 3\r\n\r\n", &req, "Expect 100-continue") == 0)
		tap_is_int(req.expect_continue, 1, "expect_continue set");
	if (parse_ok("PUT /f HTTP/1.0\r\nExpect: 100-continue\r\n"
	    "Content-Length: 3\r\n\r\n", &req, "Expect from HTTP/1.0") == 0)
		tap_is_int(req.expect_continue, 0,
		    "100-continue ignored from HTTP/1.0");

	if (parse_ok("GET / HTTP/1.1\r\nHost: a\r\nX-A: \t  v a l \t \r\n"
	    "X-Empty:\r\nX-Sp:   \r\nX-U: caf\xc3\xa9\r\n"
	    "X-!#$%&'*+-.^_`|~0: tchars\r\n\r\n", &req, "values") == 0) {
		is_header(&req, "x-a", "v a l");
		is_header(&req, "x-empty", "");
		is_header(&req, "x-sp", "");
		is_header(&req, "x-u", "caf\xc3\xa9");
		is_header(&req, "X-!#$%&'*+-.^_`|~0", "tchars");
		tap_is_int((long long)req.nheaders, 6, "six headers");
	}
	if (parse_ok("GET / HTTP/1.1\r\nX: 1\r\nHost: a\r\nX: 2\r\n\r\n", &req,
	    "repeated ordinary header") == 0) {
		is_header(&req, "x", "1");
		is_span(req.headers[2].value, req.headers[2].value_len, "2",
		    "second X kept");
	}
	if (parse_ok("GET / HTTP/1.1\r\nHost:\r\n\r\n", &req, "empty Host") == 0)
		is_header(&req, "host", "");
	if (parse_ok("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", &req,
	    "IPv6 Host") == 0)
		is_header(&req, "host", "[::1]:8080");
	if (parse_ok("\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n", &req,
	    "leading empty lines") == 0)
		is_span(req.path, req.path_len, "/x", "path after empty lines");
}

static void
test_max_headers(void)
{
	struct http_request	 req;
	const char		*raw, *cause;
	int			 status;
	char			 big[8192];
	size_t			 i, len;

	raw = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
	tap_is_int(parse(raw, strlen(raw), 3, &req, &status, &cause), 0,
	    "exactly max_headers fields accepted");
	tap_is_int(parse(raw, strlen(raw), 2, &req, &status, &cause), -1,
	    "one field too many refused");
	tap_is_int(status, 431, "too many fields is 431");
	tap_is_str(cause, "too many header fields", "431 cause");

	/* The hard bound holds whatever the caller asks for. */
	len = (size_t)snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < HTTP_MAX_HEADERS_HARD; i++)
		len += (size_t)snprintf(big + len, sizeof big - len, "X: %zu\r\n",
		    i);
	len += (size_t)snprintf(big + len, sizeof big - len, "\r\n");
	tap_ok(len < sizeof big - 1, "big head fits");
	tap_is_int(parse(big, len, 100000, &req, &status, &cause), -1,
	    "more than the hard bound refused");
	tap_is_int(status, 431, "hard bound is 431");
	tap_is_int((long long)req.nheaders, HTTP_MAX_HEADERS_HARD,
	    "array filled, not overrun");
}

static void
test_pipelined(void)
{
	struct http_request	 req;
	const char		*raw, *cause;
	ssize_t			 n1, n2;
	size_t			 len;
	int			 status;

	raw = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
	    "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
	len = strlen(raw);
	n1 = http_head_length(raw, len);
	tap_is_int(n1, 48, "first head of a pipeline");
	if (n1 <= 0)
		return;
	tap_is_int(parse(raw, (size_t)n1, 64, &req, &status, &cause), 0,
	    "first request parsed");
	tap_is_int(req.content_length, 3, "first has a body of 3");
	n2 = http_head_length(raw + n1 + 3, len - (size_t)n1 - 3);
	tap_is_int(n2, (long long)(len - (size_t)n1 - 3), "second head");
	if (n2 <= 0)
		return;
	tap_is_int(parse(raw + n1 + 3, (size_t)n2, 64, &req, &status, &cause),
	    0, "second request parsed");
	is_span(req.path, req.path_len, "/b", "second path");

	/* Bytes after the head are the caller's error, not silently lost. */
	tap_is_int(parse(raw, len, 64, &req, &status, &cause), -1,
	    "head with body bytes refused");
	tap_is_str(cause, "bytes after request head", "cause: bytes after");
	tap_is_int(parse(raw, (size_t)n1 - 2, 64, &req, &status, &cause), -1,
	    "truncated head refused");
	tap_is_str(cause, "incomplete request head", "cause: incomplete");
}

static void
test_bad(void)
{
	const struct bad_head	*b;
	struct http_request	 req;
	const char		*cause;
	ssize_t			 n;
	int			 status, rc;
	size_t			 i;

	for (i = 0; bad_heads[i].cause != NULL; i++) {
		b = &bad_heads[i];
		n = http_head_length(b->raw, b->len);
		if (b->framing)
			tap_is_int(n, -1, "bad %zu (%s): head length refuses",
			    i, b->cause);
		else
			tap_is_int(n, (long long)b->len,
			    "bad %zu (%s): head length", i, b->cause);
		rc = parse(b->raw, b->len, 64, &req, &status, &cause);
		tap_is_int(rc, -1, "bad %zu (%s): refused", i, b->cause);
		tap_is_int(status, b->status, "bad %zu (%s): status", i,
		    b->cause);
		tap_is_str(cause, b->cause, "bad %zu: cause", i);
	}
}

static void
test_status_text(void)
{
	static const struct {
		int		 code;
		const char	*text;
	} codes[] = {
		{ 100, "Continue" }, { 101, "Switching Protocols" },
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
		{ 204, "No Content" }, { 206, "Partial Content" },
		{ 301, "Moved Permanently" }, { 302, "Found" },
		{ 304, "Not Modified" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 408, "Request Timeout" }, { 409, "Conflict" },
		{ 410, "Gone" }, { 411, "Length Required" },
		{ 413, "Content Too Large" }, { 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" },
		{ 416, "Range Not Satisfiable" },
		{ 417, "Expectation Failed" },
		{ 422, "Unprocessable Content" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
		{ 0, "Unknown" }, { 299, "Unknown" }, { 999, "Unknown" },
		{ -1, "Unknown" },
	};
	size_t	i;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
		tap_is_str(http_status_text(codes[i].code), codes[i].text,
		    "status %d", codes[i].code);
}

int
main(void)
{
	test_head_length();
	test_get_query();
	test_targets();
	test_post_bodies();
	test_connection();
	test_fields();
	test_max_headers();
	test_pipelined();
	test_bad();
	test_status_text();
	return tap_done();
}
