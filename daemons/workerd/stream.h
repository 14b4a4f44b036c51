/*
 * stream.h — a bounded byte pipe between the event thread and the one pool
 * thread running a request, for bodies too large to hold in memory.
 *
 * An upload flows in: the event thread reads the socket and puts bytes in
 * the pipe while there is room (stream_room), the handler takes them with
 * stream_read, which blocks until bytes, the end or an error come.  A
 * download flows out: the handler writes with stream_write, which blocks
 * while the pipe is full, and the event thread moves bytes to the socket
 * with stream_take.  Either way the memory held is the pipe's capacity,
 * whatever the size of the body.
 *
 * The event thread never blocks on the pipe.  When it has to stop (the pipe
 * is full on the way in, or empty on the way out) it says so with
 * stream_wait_for_pool(); the pool thread's next read or write that changes
 * that wakes it by activating the event given to stream_new().  Every other
 * hand-off costs no system call.
 *
 * Either side may close the pipe: the writer at the end of the body
 * (status 0), either side on an error (the client went away, a timeout,
 * the handler gave up), which makes the other side's next call fail with
 * the error's status and cause.
 */
#ifndef PFO3_STREAM_H
#define PFO3_STREAM_H

#include <stddef.h>
#include <sys/types.h>

struct event;
struct evbuffer;

struct stream;

/* A pipe of `capacity` bytes; `wake` is activated (event_active) to tell
 * the event thread the pool thread made progress. */
struct stream *stream_new(size_t capacity, struct event *wake);
void	stream_free(struct stream *s);

/* ---- event thread ---------------------------------------------------- */

/* Bytes the pipe can take now (0 once it is closed). */
size_t	stream_room(struct stream *s);
/* Adds at most stream_room() bytes; never blocks. */
void	stream_put(struct stream *s, const void *data, size_t len);
/* Moves `len` bytes (at most stream_room()) from `src` without copying
 * what can be moved whole (the buffers of `src` change hands). */
void	stream_put_buffer(struct stream *s, struct evbuffer *src, size_t len);
/* Moves at most `max` bytes to `dst`; never blocks. */
size_t	stream_take(struct stream *s, struct evbuffer *dst, size_t max);
/*
 * The event thread is about to stop because the pipe is full (pause_put)
 * or empty (pause_take).  Returns 1 when it still is: the pool thread's
 * next read (write) will activate the wake event.  Returns 0 when the pool
 * thread changed it meanwhile (or closed it): go on at once.
 */
int	stream_pause_put(struct stream *s);
int	stream_pause_take(struct stream *s);

/* ---- either thread --------------------------------------------------- */

/*
 * Ends the pipe: `status` 0 is the normal end (the reader sees EOF once
 * the bytes already in the pipe are read); otherwise an HTTP status with
 * `cause`, which both sides see from then on.  The first close wins.
 */
void	stream_close(struct stream *s, int status, const char *cause);
/* 1 once closed, with the status and cause (either may be NULL). */
int	stream_closed(struct stream *s, int *status, const char **cause);
/* Bytes waiting in the pipe. */
size_t	stream_length(struct stream *s);

/* ---- pool thread ----------------------------------------------------- */

/*
 * Reads up to `len` bytes, blocking until some are there.  Returns their
 * number, 0 at the normal end, or -1 with *status and *cause (borrowed,
 * valid until stream_free) after an error close.
 */
ssize_t	stream_read(struct stream *s, void *buf, size_t len, int *status,
	    const char **cause);
/* Writes all `len` bytes, blocking while the pipe is full.  0, or -1 when
 * the pipe was closed (the client went away). */
int	stream_write(struct stream *s, const void *data, size_t len);

#endif
