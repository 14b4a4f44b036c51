/*
 * body-pump.h — moves a request body from the connection's input buffer
 * to where its handler reads it, on the event thread.
 *
 * A body is framed by Content-Length or chunked (decoded here), and goes
 * one of two ways:
 *   - buffered: held whole in memory (at most worker.max_body_size), for
 *     handlers that want it at once (tasks, logins, …);
 *   - streamed: put into a bounded pipe (stream.h) that an upload's
 *     handler reads while the body arrives (at most files.max_size); what
 *     the pipe cannot take stays in the kernel, so a fast client is slowed
 *     by TCP flow control instead of filling memory.
 * The pump also holds the body's clock (body-clock.h); the connection arms
 * its one timer from it.  It never touches the socket.
 */
#ifndef PFO3_BODY_PUMP_H
#define PFO3_BODY_PUMP_H

#include <stddef.h>
#include <stdint.h>

#include "body-clock.h"
#include "http.h"

struct evbuffer;
struct stream;

struct body_pump {
	int		 chunked;	/* else Content-Length framing */
	int64_t		 length;	/* Content-Length (0 when none) */
	int64_t		 max;		/* decoded bytes the body may have */
	struct http_chunked dechunk;
	int		 too_large;	/* the chunked body passed max */
	struct body_clock clock;

	/* Buffered: the whole body, NUL-terminated once complete. */
	char		*buf;
	size_t		 len, cap;

	/* Streamed: the pipe to the handler. */
	struct stream	*pipe;
	int64_t		 fed;		/* body bytes put into the pipe */
	int		 done;		/* the pipe is closed (end or error) */
};

/*
 * Starts a buffered body of a request with head `req`, at most `max`
 * bytes; `max_line` bounds a chunk-size or trailer line.  0, or -1 when
 * its Content-Length alone passes `max` (413).
 */
int	body_pump_buffer_start(struct body_pump *p,
	    const struct http_request *req, int64_t max, size_t max_line);
/*
 * Moves body bytes from `in` into the buffer: 1 when the body is complete,
 * 0 when more must come, -1 with *status (400, 413) and *cause when the
 * body is refused (the connection's framing is then lost).
 */
int	body_pump_buffer(struct body_pump *p, struct evbuffer *in, int *status,
	    const char **cause);
/* Takes the next `len` bytes of `in` as the whole body (the seed
 * protocol's object, already delimited). */
void	body_pump_take(struct body_pump *p, struct evbuffer *in, size_t len);

/*
 * Starts a streamed body into `pipe` (owned by the pump from then on), at
 * most `max` bytes.  0, or -1 when its Content-Length passes `max` (413;
 * the pipe is freed).  A body of no bytes is done at once.
 */
int	body_pump_stream_start(struct body_pump *p,
	    const struct http_request *req, int64_t max, size_t max_line,
	    struct stream *pipe);

/* What the pipe can take before the next read of the socket. */
enum body_pump_room {
	PUMP_ROOM,	/* read and feed */
	PUMP_RESUMED,	/* room again after a pause: the clock restarted */
	PUMP_RETRY,	/* the handler took bytes meanwhile: ask again */
	PUMP_FULL,	/* full: the clock is paused, and the handler's next
			   read wakes the event thread (stream_pause_put) */
};
enum body_pump_room body_pump_room(struct body_pump *p, int64_t now_ms);
/*
 * Moves what the pipe has room for from `in` into it; `eof` says the
 * client closed its side.  1 when it moved bytes (or ended the body), 0
 * when it must wait for input.  An error (a bad chunk, too large, a
 * connection closed mid-body) ends the pipe with its status: the handler
 * reads it and answers.
 */
int	body_pump_feed(struct body_pump *p, struct evbuffer *in, int eof);
/* Ends the streamed body: `status` 0 when complete, else an error the
 * handler's next read returns. */
void	body_pump_end(struct body_pump *p, int status, const char *cause);

/* Frees the body and the pipe; the pump is empty again. */
void	body_pump_clear(struct body_pump *p);

#endif
