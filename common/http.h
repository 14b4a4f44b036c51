/*
 * http.h — a strict HTTP/1.1 request parser (RFC 9112).
 *
 * Strict because a load balancer sits in front: any ambiguity in framing is
 * a request-smuggling vector, so it is refused rather than guessed at.
 * Rejected with 400: Content-Length together with Transfer-Encoding, a
 * repeated or non-numeric Content-Length, obs-fold, a bare CR or a bare LF,
 * whitespace before a header colon, invalid token characters, bad chunk
 * sizes.  The parser allocates nothing: names and values point into the
 * caller's buffer, which must outlive the request.
 */
#ifndef PFO3_HTTP_H
#define PFO3_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_MAX_HEADERS_HARD	256	/* array size; the config bound is lower */

struct http_header {
	const char	*name;
	size_t		 name_len;
	const char	*value;		/* leading/trailing OWS removed */
	size_t		 value_len;
};

struct http_request {
	const char	*method;	/* points into the buffer, not terminated */
	size_t		 method_len;
	const char	*target;	/* request-target (origin-form) */
	size_t		 target_len;
	const char	*path;		/* target up to '?' */
	size_t		 path_len;
	const char	*query;		/* after '?', or NULL */
	size_t		 query_len;
	int		 version_minor;	/* HTTP/1.0 → 0, HTTP/1.1 → 1 */
	struct http_header headers[HTTP_MAX_HEADERS_HARD];
	size_t		 nheaders;
	int64_t		 content_length;	/* -1 when absent */
	int		 chunked;		/* Transfer-Encoding: chunked */
	int		 keep_alive;		/* after version and Connection */
	int		 expect_continue;	/* Expect: 100-continue */
};

/*
 * Looks for the end of a request head (the empty line) in buf[0..len).
 * Returns the head's length including the final CRLFCRLF, 0 when more bytes
 * are needed, or -1 when a bare CR or bare LF makes the framing invalid.
 */
ssize_t	http_head_length(const char *buf, size_t len);

/*
 * Parses a complete head of `len` bytes (as measured by http_head_length).
 * `max_headers` bounds the number of fields (≤ HTTP_MAX_HEADERS_HARD).
 * Returns 0, or -1 with *status set to the response to send (400, 431 too
 * many headers, 501 unknown transfer coding, 505 version, 417 expectation)
 * and *cause to a short English reason.
 */
int	http_parse_head(const char *buf, size_t len, size_t max_headers,
	    struct http_request *req, int *status, const char **cause);

/* The value of the first header named `name` (case-insensitive), or NULL. */
const struct http_header *http_header_find(const struct http_request *req,
	    const char *name);
/* 1 when method equals `m` exactly (methods are case-sensitive). */
int	http_method_is(const struct http_request *req, const char *m);

/* Incremental chunked-body decoder: feed it bytes as they arrive. */
enum http_chunked_state {
	CHUNK_SIZE, CHUNK_EXT, CHUNK_SIZE_LF, CHUNK_DATA, CHUNK_DATA_CR,
	CHUNK_DATA_LF, CHUNK_TRAILER, CHUNK_TRAILER_LF, CHUNK_DONE,
};
struct http_chunked {
	enum http_chunked_state state;
	uint64_t	 remaining;	/* bytes left in the current chunk */
	int		 size_digits;	/* digits read of the current size */
	size_t		 line_len;	/* bytes on the current size/trailer line */
	size_t		 trailer_bytes;	/* total trailer bytes seen */
	size_t		 max_line;	/* bound on a size or trailer line */
	int		 trailer_line_empty;
	int		 trailer_in_value;	/* past the trailer line's ':' */
};
typedef int (*http_chunked_sink)(void *arg, const char *data, size_t len);

void	http_chunked_init(struct http_chunked *st, size_t max_line);
/*
 * Decodes in[0..len): chunk data is passed to `sink` (which returns -1 to
 * stop, e.g. body too large).  *consumed tells how many input bytes were
 * used (bytes after the end of the body are left for the next request).
 * Returns 1 when the body is complete, 0 when more input is needed, -1 on
 * a framing error (with *cause) or when the sink refused.
 */
int	http_chunked_feed(struct http_chunked *st, const char *in, size_t len,
	    size_t *consumed, http_chunked_sink sink, void *arg,
	    const char **cause);

/* 1 for a tchar (RFC 9110 section 5.6.2): the bytes of a token or a
 * field name. */
int	http_is_tchar(unsigned char c);

/* "OK", "Not Found", … for a status code; "Unknown" otherwise. */
const char *http_status_text(int status);

#endif
