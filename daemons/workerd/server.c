/*
 * server.c — the worker's listener and lifecycle on the event thread:
 * accepting, handing finished pool work back to connections, signals,
 * drain and graceful shutdown.
 *
 * Shutdown (SIGTERM, SIGINT, `shutdown` on the control socket) first
 * drains: /readyz turns 503 and keep-alive ends, so the load balancer moves
 * traffic away; requests already read finish.  A periodic check exits once
 * nothing is in flight, or at worker.shutdown_timeout whatever remains.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "net.h"
#include "pool.h"
#include "upload-limit.h"
#include "workerd.h"

#define SERVER_BACKLOG		1024
#define SERVER_STOP_CHECK_MS	50

static void
server_peer_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
	}
	snprintf(buf, len, "%s:%d", host, port);
}

/* Refuses a connection over worker.max_connections with a short 503. */
static void
server_refuse(int fd)
{
	static const char msg[] = "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: application/json\r\nContent-Length: 34\r\n"
	    "Retry-After: 1\r\nConnection: close\r\n\r\n"
	    "{\"error\":\"too many connections\"}\n";

	if (write(fd, msg, sizeof msg - 1) < 0) {
		/* The client is gone or slow: closing is all that is left. */
	}
	close(fd);
}

static void
server_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct workerd *w = arg;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char peer[64];
	int fd, i;

	/* Accept a bounded batch, then let other events run. */
	for (i = 0; i < 64; i++) {
		sslen = sizeof ss;
		fd = accept4(lfd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		if (w->nconns >= w->conf.worker.max_connections) {
			server_refuse(fd);
			continue;
		}
		server_peer_name(&ss, peer, sizeof peer);
		conn_accept(w, fd, peer);
	}
}

/* The pool hands finished connections back (see workerd.h). */
static void
server_done_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_collect(arg, NULL);
}

static void
server_stop_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct workerd *w = arg;
	struct timeval tv = { 0, SERVER_STOP_CHECK_MS * 1000 };
	int64_t now = clock_mono_ms();

	/*
	 * Idle keep-alive connections can go now.  Any other connection is
	 * mid-request or still sending a response: a finished task's reply
	 * may sit in an output buffer, and leaving now would drop it.
	 */
	conn_close_idle(w);
	if (w->nconns == 0 && w->inflight == 0 && pool_busy(w->pool) == 0 &&
	    pool_queued(w->pool) == 0 && pool_busy(w->upload_pool) == 0) {
		log_info("drained: exiting");
		event_base_loopbreak(w->base);
		return;
	}
	if (now >= w->stop_deadline_ms) {
		log_warnx("shutdown timeout: exiting with %d requests in flight "
		    "and %d connections open", w->inflight, w->nconns);
		event_base_loopbreak(w->base);
		return;
	}
	evtimer_add(w->stop_ev, &tv);
}

void
server_drain(struct workerd *w, int on)
{
	if (atomic_exchange(&w->draining, on) != on)
		log_info("%s", on ? "draining: readyz now answers 503" :
		    "resumed: taking new work");
}

void
server_shutdown(struct workerd *w, const char *why)
{
	struct timeval tv = { 0, 0 };

	if (w->stopping)
		return;
	log_info("shutting down (%s): finishing in-flight work, at most %lld ms",
	    why, (long long)w->conf.worker.shutdown_timeout);
	server_drain(w, 1);
	w->stopping = 1;
	/* Requests waiting for notifications answer now, with what there is. */
	conn_wake_parked(w, 0);
	w->stop_deadline_ms = clock_mono_ms() + w->conf.worker.shutdown_timeout;
	evtimer_add(w->stop_ev, &tv);
}

static void
server_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct workerd *w = arg;

	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reopening logs");
		log_reopen();
		break;
	case SIGTERM:
		server_shutdown(w, "SIGTERM");
		break;
	case SIGINT:
		server_shutdown(w, "SIGINT");
		break;
	}
}

/* Registers the per-connection timeouts as libevent common timeouts. */
static void
server_timeouts(struct workerd *w)
{
	const int64_t ms[TMO_COUNT] = {
		[TMO_HEAD] = w->conf.worker.head_timeout,
		[TMO_KEEPALIVE] = w->conf.worker.keepalive_timeout,
		[TMO_WRITE] = w->conf.worker.write_timeout,
		[TMO_LINGER] = w->conf.worker.linger_timeout,
	};
	struct timeval tv;
	int i;

	for (i = 0; i < TMO_COUNT; i++) {
		clock_timeval(&tv, ms[i]);
		w->timeout[i] = event_base_init_common_timeout(w->base, &tv);
		if (w->timeout[i] == NULL)
			fatalx("cannot register a %lld ms timeout",
			    (long long)ms[i]);
	}
}

int
server_start(struct workerd *w, char **cause)
{
	static const int sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	int i;

	server_timeouts(w);
	if ((w->upload_pool = pool_new("uploads",
	    (int)w->conf.uploads.max_per_worker,
	    (int)w->conf.uploads.max_per_worker, cause)) == NULL)
		return -1;
	w->upload_limit = upload_limit_new((int)w->conf.uploads.max_per_worker,
	    (int)w->conf.uploads.max_per_user);
	w->listen_fd = net_listen_tcp(w->conf.worker.listen, SERVER_BACKLOG,
	    cause);
	if (w->listen_fd == -1)
		return -1;
	w->accept_ev = event_new(w->base, w->listen_fd, EV_READ | EV_PERSIST,
	    server_accept_cb, w);
	event_add(w->accept_ev, NULL);
	w->done_ev = event_new(w->base, -1, 0, server_done_cb, w);
	w->collect_ev = evtimer_new(w->base, conn_collect_cb, w);
	w->stop_ev = evtimer_new(w->base, server_stop_check_cb, w);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < 3; i++) {
		w->sig_ev[i] = evsignal_new(w->base, sigs[i], server_signal_cb, w);
		evsignal_add(w->sig_ev[i], NULL);
	}
	log_info("%s listening on %s with %d threads, queue %d, %d upload "
	    "threads", w->conf.worker.id, w->conf.worker.listen,
	    pool_threads(w->pool), pool_capacity(w->pool),
	    pool_threads(w->upload_pool));
	return 0;
}

void
server_stop(struct workerd *w)
{
	int i;

	conn_free_all(w);
	for (i = 0; i < 3; i++)
		if (w->sig_ev[i] != NULL)
			event_free(w->sig_ev[i]);
	if (w->accept_ev != NULL)
		event_free(w->accept_ev);
	if (w->done_ev != NULL)
		event_free(w->done_ev);
	if (w->collect_ev != NULL)
		event_free(w->collect_ev);
	if (w->stop_ev != NULL)
		event_free(w->stop_ev);
	if (w->listen_fd != -1)
		close(w->listen_fd);
	/* Nothing is in flight here: the upload threads are idle. */
	pool_free(w->upload_pool);
	upload_limit_free(w->upload_limit);
	w->upload_pool = NULL;
	w->upload_limit = NULL;
}
