/*
 * conn-int.h — what the files of the connection share, for them alone:
 * conn.c (the life of a connection and its state machine), conn-read.c
 * (reading requests), conn-pool.c (handing a request to a thread and
 * taking it back), conn-send.c (writing responses).  Event thread only.
 */
#ifndef PFO3_CONN_INT_H
#define PFO3_CONN_INT_H

#include "conn.h"
#include "workerd.h"

/* conn.direct_state: who of the pool thread and the event thread came
 * first once a direct request's reply is written (conn-pool.c). */
enum {
	DIRECT_IDLE,		/* neither yet */
	DIRECT_DONE,		/* the pool thread handed it back quietly */
	DIRECT_SEEN,		/* an event came first: the pool thread wakes */
};

/* What a step of the state machine did. */
enum conn_step {
	STEP_WAIT,		/* needs the network, a timer or the pool */
	STEP_MORE,		/* made progress: run again */
	STEP_FREED,		/* the connection is gone */
};

/* conn.c */
/* Drives the connection as far as it can go (see conn.c). */
void	conn_run(struct conn *c);
/* Frees it now; conn_close() when a pool thread may hold it. */
void	conn_free(struct conn *c);
void	conn_close(struct conn *c);
/* Forgets the request just answered, keeping the connection. */
void	conn_reset_request(struct conn *c);
/* Arms the connection's one timer with one of the worker's timeouts, or
 * for the next check of the body being read. */
void	conn_set_timer(struct conn *c, enum workerd_timeout which);
void	conn_body_timer(struct conn *c);
/* The head is read: the body's deadline and rate windows start now. */
void	conn_body_start(struct conn *c);
/* Ends a streamed body being read (0: complete, else an error status). */
void	conn_feed_end(struct conn *c, int status, const char *cause);
/* Bytes the input may hold: a whole head or seed object, plus a read. */
size_t	conn_input_limit(const struct conn *c);

/* conn-read.c: the HEAD, BODY and SEED states, and a streamed body. */
enum conn_step conn_read_head(struct conn *c);
enum conn_step conn_read_body(struct conn *c);
enum conn_step conn_read_seed(struct conn *c);
/* Moves streamed body bytes from the socket to the handler's pipe. */
enum conn_step conn_feed(struct conn *c);

/* conn-pool.c */
/* A request ready for its handler: answers it here or hands it to a
 * thread (a ROUTE_STREAM request comes here before its body). */
void	conn_dispatch(struct conn *c);
/* A parked request runs again: woken, or its deadline passed. */
void	conn_unpark(struct conn *c);
/* Makes the event through which the pool wakes the connection. */
void	conn_stream_event(struct conn *c);

/* conn-send.c */
/* Queues the response and decides what becomes of the connection; the
 * caller's conn_run() writes it. */
void	conn_send(struct conn *c);
/* Answers `status` with a JSON error and closes: the framing is lost. */
void	conn_fail(struct conn *c, int status, const char *cause);
/* On the pool thread, for a `direct` request: queues the reply and writes
 * it.  1 when the socket took it all, 0 when some is left in the output
 * for the event thread, -1 when the event thread must answer (nothing
 * was queued). */
int	conn_send_direct(struct conn *c);
/* Moves a streamed response body from its pipe to the socket. */
enum conn_step conn_drain_out(struct conn *c, int flushed);

#endif
