/*
 * workerd.h — the state of one pfo3-workerd process.
 *
 * DESIGN
 * One event thread (libevent) owns every socket: it accepts, reads request
 * heads and bodies, answers the cheap routes (/healthz, /readyz, /metrics)
 * itself, parks idle keep-alive connections, and writes every response.
 * A fixed pool of `worker.threads` threads runs the handlers that may block
 * (compute tasks today; PostgreSQL, S3 and RabbitMQ later).  Between them is
 * a bounded queue: when it is full the event thread answers 503 at once
 * instead of letting latency grow without bound.
 *
 * A connection is touched by one thread at a time.  While its request is
 * on the pool, the event thread does not read from it (reading is disabled)
 * and the pool thread only touches the request and the response (and, for
 * a `direct` request, writes the reply to the socket: conn-pool.c).  The
 * pool thread hands it back through a locked list plus event_active() on
 * `done_ev`, which wakes the event loop, or quietly for a direct reply;
 * all counters that only the event thread changes (connections, request
 * totals, latency) need no locks.
 */
#ifndef PFO3_WORKERD_H
#define PFO3_WORKERD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <time.h>

#include <jansson.h>

#include "conf.h"
#include "metrics.h"

struct conn;
struct notify;
struct event;
struct event_base;
struct ctl_server;
struct pool;
struct upload_limit;

TAILQ_HEAD(conn_list, conn);

/* The per-connection timeouts (worker.*_timeout); a body's deadlines
 * are its own (body-clock.h). */
enum workerd_timeout {
	TMO_HEAD, TMO_KEEPALIVE, TMO_WRITE, TMO_LINGER, TMO_COUNT
};

struct workerd {
	struct pfo3_conf	 conf;
	char			*control_path;	/* worker.control with %i expanded */
	struct event_base	*base;
	struct pool		*pool;
	struct probe		*probe;		/* PostgreSQL, RabbitMQ, S3 */
	struct jobs		*jobs;		/* background job consumers */
	struct heartbeat	*heartbeat;	/* stats on pfo3.events */
	struct notify		*notify;	/* wakes parked requests */
	struct ctl_server	*ctl;
	struct metrics		 metrics;

	int			 listen_fd;
	struct event		*accept_ev;
	int			 agent_fd;	/* -1 when agent_listen is off */
	struct event		*agent_ev;

	/*
	 * Thousands of connections share five durations: libevent keeps
	 * "common timeouts" in plain queues, so arming a timer, which
	 * happens several times per request, is O(1) instead of a heap
	 * operation.
	 */
	const struct timeval	*timeout[TMO_COUNT];

	struct conn_list	 conns;		/* every open connection */
	struct conn_list	 parked;	/* waiting for a notification */
	int			 nparked;
	int			 nconns;
	int			 inflight;	/* requests queued or running */

	pthread_mutex_t		 done_lock;	/* guards done */
	struct conn_list	 done;		/* back from the pool */
	struct evloop		*loop;		/* runs base: evloop.h */
	struct event		*done_ev;
	/* Replies a pool thread wrote itself, handed back without a wake-up
	 * (conn-pool.c): how many are being written, how many wait in
	 * `done`, and the timer that takes them back when no event on their
	 * sockets does. */
	atomic_int		 replying;
	atomic_int		 done_quiet;
	struct event		*collect_ev;
	int			 collect_armed;
	int			 ndirect;	/* such requests on the pool */

	atomic_int		 draining;	/* readyz 503, no keep-alive */
	int			 stopping;	/* SIGTERM: exit once idle */
	int64_t			 stop_deadline_ms;
	struct event		*stop_ev;	/* checks whether we may exit */
	struct event		*sig_ev[3];

	atomic_llong		 next_task_id;
	int64_t			 start_mono_ms;
	time_t			 start_time;

	/*
	 * Streamed uploads run on threads of their own, never on `pool`: an
	 * upload waits on its client for as long as the body takes, and
	 * those waits must not take the threads that serve tasks, logins
	 * and downloads (uploads.*; conn-pool.c, upload-limit.h).
	 */
	struct pool		*upload_pool;
	struct upload_limit	*upload_limit;	/* per user, upload threads */
	int			 uploads;	/* in flight (event thread) */
};

/* server.c: the listener and the lifecycle. */
int	server_start(struct workerd *w, char **cause);
void	server_drain(struct workerd *w, int on);
void	server_shutdown(struct workerd *w, const char *why);
void	server_stop(struct workerd *w);

/* control.c: the worker's control socket. */
int	control_start(struct workerd *w, char **cause);
void	control_stop(struct workerd *w);
json_t	*control_stats(struct workerd *w);

/* agent.c: HAProxy agent-check replies. */
int	agent_start(struct workerd *w, char **cause);
void	agent_stop(struct workerd *w);
/* The agent's reply line for the current load, e.g. "ready 60%\n". */
void	agent_reply(struct workerd *w, char *buf, size_t len);

#endif
