/*
 * conn.h — one client connection of the worker: HTTP/1.1 (keep-alive,
 * pipelining, chunked bodies) or, when its first byte is '{', the seed's
 * raw JSON task protocol.
 */
#ifndef PFO3_CONN_H
#define PFO3_CONN_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "body-pump.h"
#include "http.h"
#include "respond.h"
#include "router.h"

#include <event2/event.h>

struct workerd;
struct evbuffer;

enum conn_state {
	CONN_HEAD,		/* waiting for (the rest of) a request head */
	CONN_BODY,		/* reading the body */
	CONN_SEED,		/* reading one seed-protocol JSON object */
	CONN_POOL,		/* queued or running on the pool (a streamed
				   body may be flowing in or out meanwhile) */
	CONN_STREAM_OUT,	/* the pool is done: sending the rest of a
				   streamed response body */
	CONN_PARKED,		/* waiting, off the pool, for an event that
				   runs the request again (conn_wake_parked) */
	CONN_WRITE,		/* sending the response */
	CONN_LINGER,		/* error sent: discarding input before close */
};

struct seed_scan {
	size_t		 pos;		/* bytes already scanned */
	int		 depth;
	int		 in_string;
	int		 escape;
	int		 started;
};

struct conn {
	TAILQ_ENTRY(conn) entry;	/* workerd.conns */
	TAILQ_ENTRY(conn) done_entry;	/* workerd.done */
	TAILQ_ENTRY(conn) park_entry;	/* workerd.parked */
	struct workerd	*w;
	int		 fd;
	struct event	*ev;		/* read|write, edge-triggered (conn-io.c) */
	struct evbuffer	*in, *out;
	unsigned	 readable:1;	/* the socket may hold unread bytes */
	unsigned	 writable:1;	/* the socket may take more bytes */
	unsigned	 rdhup:1;	/* the kernel saw the client's FIN */
	unsigned	 eof:1;		/* read(2) reached that FIN */
	struct event	*timer;
	enum conn_state	 state;
	char		 peer[64];
	int		 seed;		/* seed protocol connection */
	int		 nrequests;
	int		 head_started;	/* a byte of the next head arrived */
	int		 keep_alive;	/* of the response being written */
	int		 linger;	/* close gently: the client may still send */
	size_t		 lingered;	/* bytes discarded while lingering */

	/* The request being read or run. */
	char		*head;
	struct http_request req;
	struct request	 r;		/* what handlers see */
	char		*path, *query, *ctype;
	struct body_pump pump;		/* its body on the way in */
	const struct route *route;
	int		 head_only;
	int64_t		 t_start_us;
	struct seed_scan seed_scan;
	int		 upload;	/* holds an upload slot (uploads.*) */

	struct response	 resp;

	/*
	 * Streamed bodies (stream.c): a ROUTE_STREAM request's body on its
	 * way in (pump.pipe), a response_stream_begin() body on its way
	 * out.  The pool thread's progress wakes the event thread through
	 * stream_ev.
	 */
	struct stream	*out_stream;
	struct event	*stream_ev;
	int64_t		 out_sent;	/* body bytes taken from out_stream */
	int		 head_sent;	/* a streamed response's head is out */
	atomic_int	 out_ready;	/* the pool made out_stream */
	int		 on_pool;	/* a pool thread holds the request */
	atomic_int	 dead;		/* gone while on the pool: free it when
					   the pool hands it back */
	int64_t		 park_user;	/* CONN_PARKED: whose events wake it */
	/*
	 * The pool thread may write the reply itself (conn-pool.c): set by
	 * the event thread when it hands the request over with nothing else
	 * pending on the connection.  The pool thread then owns `out` and
	 * the socket's writes until it hands the connection back.
	 */
	int		 direct;
	int		 replied;	/* the pool thread queued the reply */
	int64_t		 t_done_us;	/* when it did: the latency's end */
	atomic_int	 direct_state;	/* DIRECT_* (conn-pool.c) */
	/* No route for the head that was read: 404, or 405 and Allow. */
	int		 route_status;
	char		 route_allow[ROUTER_ALLOW_MAX];
};

/* conn-io.c: the socket, edge-triggered. */
int	conn_io_open(struct conn *c, struct event_base *base,
	    event_callback_fn cb);
void	conn_io_close(struct conn *c);
/* Reads until the socket is drained, EOF, or `limit` bytes are buffered;
 * -1 on a socket error. */
int	conn_io_read(struct conn *c, size_t limit);
/* The same for a streamed body: each read takes all the socket holds. */
int	conn_io_read_body(struct conn *c, size_t limit);
/* Writes the output buffer: 1 when it is empty, 0 when the socket is full
 * (an edge will come), -1 on a socket error. */
int	conn_io_flush(struct conn *c);
/* Records what the event said about the socket. */
void	conn_io_event(struct conn *c, short what);

/* Takes over an accepted socket. */
void	conn_accept(struct workerd *w, int fd, const char *peer);
/* The pool finished `c`: write its response (event thread only). */
void	conn_finish(struct conn *c);
/* Takes back what the pool finished; 1 when `self` was among it (it ran,
 * and may be freed). */
int	conn_collect(struct workerd *w, struct conn *self);
/* Takes back every reply a pool thread has written so far (its client
 * may have it already), and `self` if not NULL: counters then include
 * them.  1 when `self` was among them (as conn_collect).  Event thread. */
int	conn_settle(struct workerd *w, struct conn *self);
/* The timer of the replies handed back without a wake-up. */
void	conn_collect_cb(evutil_socket_t fd, short what, void *arg);
/*
 * Runs again the parked requests of `user` (0: all of them): their
 * handlers look once more for what they wait for.
 */
void	conn_wake_parked(struct workerd *w, int64_t user);
/* Closes every connection that is idle between requests. */
void	conn_close_idle(struct workerd *w);
/* Frees every connection (shutdown). */
void	conn_free_all(struct workerd *w);

/* seed.c */
/* Scans for the end of one JSON object; see seed.c. */
ssize_t	seed_scan(struct seed_scan *st, const char *buf, size_t len);
/* The pool job of a seed-protocol request. */
void	seed_run(struct workerd *w, const struct request *req,
	    struct response *resp);
/* A seed-protocol error reply (malformed, oversized, timed out: 400). */
void	seed_refuse(struct workerd *w, struct response *resp, const char *why);
/* The seed-protocol reply when the pool queue is full (503). */
void	seed_busy(struct workerd *w, struct response *resp);

#endif
