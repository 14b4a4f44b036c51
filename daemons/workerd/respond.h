/*
 * respond.h — a response being built by a handler, and its serialization.
 *
 * Handlers (on the event thread or a pool thread) fill a struct response;
 * only the event thread turns it into bytes on the connection.  Every
 * error body is JSON {"error": "…"}.
 */
#ifndef PFO3_RESPOND_H
#define PFO3_RESPOND_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct evbuffer;
struct stream;

struct response {
	int		 status;
	const char	*content_type;
	char		*body;		/* malloc'd, or NULL */
	size_t		 body_len;
	char		*headers;	/* extra "Name: value\r\n" lines, malloc'd */
	int		 close;		/* close the connection after it */

	/*
	 * A body streamed by a pool handler (response_stream_begin): the
	 * head says `stream_length`, the bytes follow through `stream`.
	 */
	int		 streaming;
	int64_t		 stream_length;
	struct stream	*stream;
	/* response_park(): no answer yet. */
	int64_t		 park_user;
	int64_t		 park_until_ms;
	/* Set by the connection: makes `stream` and has the head sent. */
	int		(*stream_open)(struct response *, void *);
	void		*stream_arg;
};

void	response_init(struct response *r);
void	response_clear(struct response *r);
/* Serializes `obj` (stolen) compactly as the body, with a newline. */
void	response_json(struct response *r, int status, json_t *obj);
/* {"error": "<message>"} with `status`. */
void	response_error(struct response *r, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A body of `len` bytes taken over from `body` (malloc'd). */
void	response_body(struct response *r, int status, const char *ctype,
	    char *body, size_t len);
/* Adds one header line; `fmt` gives "Name: value" without CRLF. */
void	response_header(struct response *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Pool handlers only: answers `status` with a body of exactly `length`
 * bytes that the handler then writes with response_stream_write() while
 * the connection sends them, so memory stays bounded whatever the size.
 * Headers added before are sent.  0, or -1 when the client has gone.
 * A handler that cannot deliver all `length` bytes returns anyway: the
 * connection is then closed, which tells the client the body is cut.
 */
int	response_stream_begin(struct response *r, int status, const char *ctype,
	    int64_t length);
int	response_stream_write(struct response *r, const void *data, size_t len);

/*
 * Pool handlers only: no answer now.  The connection waits off the pool
 * until a notification for `user` (notify.c) or the monotonic time
 * `until_ms`, then runs the handler again with req->wait_until_ms set;
 * the handler then answers, or parks again.
 */
void	response_park(struct response *r, int64_t user, int64_t until_ms);

/* What the Connection header says. */
enum response_conn {
	RESPONSE_KEEP,		/* HTTP/1.1 keep-alive: the default, no header */
	RESPONSE_KEEP_10,	/* HTTP/1.0 keep-alive: must be said */
	RESPONSE_CLOSE,		/* the connection closes after this response */
};

/*
 * Adds "Retry-After: seconds" to a 503 that has none: every 503 promises
 * the client a later try will do, whichever path (a dependency's deadline,
 * a full queue, a refused upload) made it.
 */
void	response_retry_default(struct response *r, int64_t seconds);

/*
 * Writes the status line, headers and (unless `head_only`) body to `out`.
 * `worker` is the id sent in X-Pfo3-Worker so operators can see who
 * answered.
 */
void	response_write(const struct response *r, struct evbuffer *out,
	    enum response_conn conn, int head_only, const char *worker);

#endif
