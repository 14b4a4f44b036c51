/*
 * t-broker.c — common/services/broker*.c against the stack's RabbitMQ
 * ($PFO3_AMQP_URL, from ./stack test or ./stack env), printing TAP.
 *
 * The real topology is only declared (twice); everything that sends
 * messages runs in a topology of its own, named with a prefix unique to
 * this run, and deleted at the end, so running workers are not disturbed.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "clock.h"
#include "conf.h"
#include "log.h"
#include "tap.h"
#include "xmalloc.h"

#define T_RETRIES	3
#define T_DELAY		150	/* ms before the first retry */
#define T_MESSAGES	100

static char	 t_prefix[128];

/* Reports `ok` for `what`; on failure shows `cause`.  Frees the cause. */
static int
t_check(int ok, char **cause, const char *what)
{
	tap_ok(ok, "%s", what);
	if (!ok && cause != NULL && *cause != NULL)
		tap_diag("cause: %s", *cause);
	if (cause != NULL) {
		free(*cause);
		*cause = NULL;
	}
	return ok;
}

/* A connection working in the topology of `suffix`; NULL (reported) when
 * the broker cannot be reached. */
static struct broker *
t_connect(const struct conf_amqp *conf, const char *suffix)
{
	struct broker	*b;
	char		*cause = NULL, *prefix;

	if ((b = broker_connect(conf, "t-broker", &cause)) == NULL) {
		tap_ok(0, "connect (%s)", suffix);
		tap_diag("cause: %s", cause);
		free(cause);
		return NULL;
	}
	prefix = xasprintf("%s%s.", t_prefix, suffix);
	broker_set_prefix(b, prefix);
	free(prefix);
	return b;
}

/* The number of ready messages in `queue`, or -1. */
static long long
t_depth(struct broker *b, const char *queue)
{
	uint32_t	 n;
	char		*cause = NULL;

	if (broker_queue_depth(b, queue, &n, NULL, &cause) != 0) {
		tap_diag("depth of %s: %s", queue, cause);
		free(cause);
		return -1;
	}
	return n;
}

static void
t_mask(void)
{
	char	*s;

	s = broker_url_mask("amqp://pfo3:s3cret@127.0.0.1:5672/pfo3");
	tap_is_str(s, "amqp://pfo3:***@127.0.0.1:5672/pfo3", "mask: password");
	free(s);
	s = broker_url_mask("amqp://u:pa/ss@h/v");
	tap_is_str(s, "amqp://u:***@h/v", "mask: password with a slash");
	free(s);
	s = broker_url_mask("amqp://127.0.0.1/v");
	tap_is_str(s, "amqp://127.0.0.1/v", "mask: no user");
	free(s);
}

/* The login of a URL, decoded as the connection decodes it. */
static void
t_login(void)
{
	struct conf_amqp	 c;
	char			*user = NULL, *pass = NULL, *vhost = NULL;
	char			*cause = NULL;

	memset(&c, 0, sizeof c);
	c.url = "amqp://us%40r:p%2Fw@h:1/v%2Fh";
	tap_ok(broker_login_of(&c, &user, &pass, &vhost, &cause) == 0 &&
	    strcmp(user, "us@r") == 0 && strcmp(pass, "p/w") == 0 &&
	    strcmp(vhost, "v/h") == 0, "login: user, password and vhost "
	    "decoded (%s, %s)", user ? user : "-", vhost ? vhost : "-");
	free(user);
	free(pass);
	free(vhost);
	c.url = "amqp://h";
	tap_ok(broker_login_of(&c, &user, &pass, &vhost, &cause) == 0 &&
	    strcmp(user, "guest") == 0 && strcmp(pass, "guest") == 0 &&
	    strcmp(vhost, "/") == 0, "login: AMQP's defaults");
	free(user);
	free(pass);
	free(vhost);
	c.url = "http://u:s3cret@h/";
	tap_ok(broker_login_of(&c, &user, &pass, &vhost, &cause) == -1 &&
	    cause != NULL && strstr(cause, "s3cret") == NULL,
	    "login: not an AMQP URL, said without the password");
	free(cause);
}

/* The shared topology: declaring is idempotent. */
static void
t_shared(const struct conf_amqp *conf)
{
	struct broker	*b;
	char		*cause = NULL;

	if ((b = broker_connect(conf, "t-broker", &cause)) == NULL) {
		t_check(0, &cause, "connect");
		return;
	}
	t_check(broker_declare_topology(b, &cause) == 0, &cause,
	    "shared topology declared");
	t_check(broker_declare_topology(b, &cause) == 0, &cause,
	    "shared topology declared again");
	broker_free(b);
}

/* 100 confirmed persistent messages, counted, consumed in order, acked. */
static void
t_bulk(const struct conf_amqp *conf, const char *sfx)
{
	struct broker_delivery	 d;
	struct broker		*b;
	char			*cause = NULL, body[32];
	int			 i, sent = 0, inorder = 0, flags = 0, rc;
	uint32_t		 consumers = 0;

	if ((b = t_connect(conf, sfx)) == NULL)
		return;
	for (i = 0; i < T_MESSAGES; i++) {
		snprintf(body, sizeof body, "msg-%d", i);
		if (broker_publish(b, BROKER_JOBS, "task", body, strlen(body),
		    "text/plain", 1, &cause) == 0)
			sent++;
		else {
			tap_diag("publish %d: %s", i, cause);
			free(cause);
			cause = NULL;
		}
	}
	tap_is_int(sent, T_MESSAGES, "%s: %d messages confirmed", sfx,
	    T_MESSAGES);
	tap_is_int(t_depth(b, "pfo3.jobs.task"), T_MESSAGES,
	    "%s: queue depth after publishing", sfx);

	t_check(broker_consume(b, "pfo3.jobs.task", &cause) == 0, &cause,
	    "consume");
	for (i = 0; i < T_MESSAGES; i++) {
		if ((rc = broker_next(b, 5000, &d, &cause)) != 1) {
			tap_diag("next %d: %d %s", i, rc, cause ? cause : "");
			free(cause);
			cause = NULL;
			break;
		}
		snprintf(body, sizeof body, "msg-%d", i);
		if (strcmp(d.body, body) == 0 && d.len == strlen(body))
			inorder++;
		if (d.redelivered || d.attempt != 1 ||
		    strcmp(d.routing_key, "task") != 0 ||
		    strcmp(d.content_type, "text/plain") != 0)
			flags++;
		if (broker_ack(b, d.tag, &cause) != 0) {
			tap_diag("ack %d: %s", i, cause);
			free(cause);
			cause = NULL;
		}
		broker_delivery_clear(&d);
	}
	tap_is_int(inorder, T_MESSAGES, "%s: every message consumed, in order",
	    sfx);
	tap_is_int(flags, 0, "%s: first deliveries: attempt 1, key, type", sfx);
	tap_is_int(broker_next(b, 200, &d, &cause), 0,
	    "%s: nothing more (timeout)", sfx);
	tap_is_int(t_depth(b, "pfo3.jobs.task"), 0, "%s: queue empty", sfx);
	broker_queue_depth(b, "pfo3.jobs.task", NULL, &consumers, &cause);
	tap_is_int(consumers, 1, "%s: one consumer", sfx);
	free(cause);
	broker_free(b);
}

/* Deliveries that arrive while a publish waits for its confirm are kept
 * for broker_next, in order. */
static void
t_interleave(const struct conf_amqp *conf, const char *sfx)
{
	struct broker_delivery	 d;
	struct broker		*b;
	char			*cause = NULL, body[16];
	int			 i, inorder = 0;

	if ((b = t_connect(conf, sfx)) == NULL)
		return;
	for (i = 0; i < 3; i++) {
		snprintf(body, sizeof body, "il-%d", i);
		broker_publish(b, BROKER_JOBS, "task", body, strlen(body), NULL,
		    1, &cause);
	}
	t_check(broker_consume(b, "pfo3.jobs.task", &cause) == 0, &cause,
	    "consume");
	usleep(200 * 1000);	/* the three deliveries are on the wire */
	t_check(broker_publish(b, BROKER_JOBS, "task", "il-3", 4, NULL, 1,
	    &cause) == 0, &cause, "publish while deliveries wait");
	for (i = 0; i < 4; i++) {
		if (broker_next(b, 5000, &d, &cause) != 1)
			break;
		snprintf(body, sizeof body, "il-%d", i);
		if (strcmp(d.body, body) == 0)
			inorder++;
		broker_ack(b, d.tag, &cause);
		broker_delivery_clear(&d);
	}
	tap_is_int(inorder, 4, "%s: deliveries around a publish, in order",
	    sfx);
	free(cause);
	broker_free(b);
}

/* Unroutable, unknown exchange, events without subscribers. */
static void
t_errors(const struct conf_amqp *conf, const char *sfx)
{
	struct broker	*b;
	char		*cause = NULL;
	int		 rc;

	if ((b = t_connect(conf, sfx)) == NULL)
		return;
	rc = broker_publish(b, BROKER_JOBS, "nowhere", "x", 1, NULL, 1,
	    &cause);
	tap_ok(rc == -1 && cause != NULL && strstr(cause, "NO_ROUTE") != NULL &&
	    strstr(cause, "unroutable") != NULL,
	    "%s: unroutable publish fails", sfx);
	tap_diag("%s", cause ? cause : "(no cause)");
	free(cause);
	cause = NULL;
	t_check(broker_publish(b, BROKER_JOBS, "task", "after-return", 12,
	    NULL, 1, &cause) == 0, &cause, "publish after a return");

	rc = broker_publish(b, "no-such-exchange", "task", "x", 1, NULL, 1,
	    &cause);
	tap_ok(rc == -1 && cause != NULL && strstr(cause, "404") != NULL,
	    "%s: publish to an unknown exchange fails", sfx);
	tap_diag("%s", cause ? cause : "(no cause)");
	free(cause);
	cause = NULL;
	tap_is_int(broker_alive(b), 1, "%s: the connection survives it", sfx);
	t_check(broker_publish(b, BROKER_JOBS, "task", "after-404", 9, NULL, 1,
	    &cause) == 0, &cause, "publish on a new channel");

	t_check(broker_publish(b, BROKER_EVENTS, "user.1.notification", "{}",
	    2, "application/json", 0, &cause) == 0, &cause,
	    "an event nobody listens to is fine");
	tap_is_int(t_depth(b, "pfo3.jobs.task"), 2, "%s: two messages queued",
	    sfx);
	broker_free(b);
}

/* A consumer that dies without acking gives its messages back. */
static void
t_redeliver(const struct conf_amqp *conf, const char *sfx)
{
	struct broker_delivery	 d1, d2;
	struct broker		*a, *b;
	char			*cause = NULL;
	int			 i, n = 0;

	if ((a = t_connect(conf, sfx)) == NULL)
		return;
	t_check(broker_consume(a, "pfo3.jobs.task", &cause) == 0, &cause,
	    "consume (a)");
	tap_is_int(broker_next(a, 5000, &d1, &cause), 1, "%s: a got one", sfx);
	tap_is_int(d1.redelivered, 0, "%s: not redelivered yet", sfx);
	/* The crash: the socket goes, without a close or an ack. */
	shutdown(broker_fd(a), SHUT_RDWR);
	broker_free(a);

	if ((b = t_connect(conf, sfx)) == NULL) {
		broker_delivery_clear(&d1);
		return;
	}
	t_check(broker_consume(b, "pfo3.jobs.task", &cause) == 0, &cause,
	    "consume (b)");
	tap_is_int(broker_next(b, 5000, &d2, &cause), 1, "%s: b got it", sfx);
	tap_is_str(d2.body, d1.body, "%s: the same message", sfx);
	tap_is_int(d2.redelivered, 1, "%s: flagged redelivered", sfx);
	broker_ack(b, d2.tag, &cause);
	broker_delivery_clear(&d2);
	for (i = 0; i < 5 && broker_next(b, 300, &d2, &cause) == 1; i++) {
		n++;
		broker_ack(b, d2.tag, &cause);
		broker_delivery_clear(&d2);
	}
	tap_is_int(n, 1, "%s: the other unacked message came back too", sfx);
	free(cause);
	broker_delivery_clear(&d1);
	broker_free(b);
}

/*
 * A half-open connection: the socket is swapped for one whose peer never
 * answers.  The publish itself "works" (the bytes fit in the buffer), and
 * only the missing confirm tells; then the connection counts as lost.
 */
static void
t_dead(const struct conf_amqp *conf, const char *sfx)
{
	struct conf_amqp	 quick = *conf;
	struct broker		*b;
	char			*cause = NULL;
	int64_t			 t0, took;
	int			 rc, sp[2];

	quick.confirm_timeout = 300;
	if ((b = t_connect(&quick, sfx)) == NULL)
		return;
	t_check(broker_publish(b, BROKER_EVENTS, "worker.t.stats", "{}", 2,
	    NULL, 0, &cause) == 0, &cause, "publish before");
	/* Non-blocking like the socket it replaces: librabbitmq tries to
	 * read before it polls. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) != 0 ||
	    dup2(sp[0], broker_fd(b)) == -1) {
		tap_ok(0, "%s: socketpair/dup2", sfx);
		broker_free(b);
		return;
	}
	close(sp[0]);
	t0 = clock_mono_ms();
	rc = broker_publish(b, BROKER_EVENTS, "worker.t.stats", "{}", 2, NULL,
	    0, &cause);
	took = clock_mono_ms() - t0;
	tap_ok(rc == -1 && cause != NULL && strstr(cause, "no confirm") != NULL,
	    "%s: publish into a dead connection fails for want of a confirm",
	    sfx);
	tap_diag("%s (after %lld ms)", cause ? cause : "(no cause)",
	    (long long)took);
	tap_ok(took >= 290 && took < 3000, "%s: after confirm_timeout", sfx);
	free(cause);
	cause = NULL;
	tap_is_int(broker_alive(b), 0, "%s: the connection is known lost", sfx);
	rc = broker_publish(b, BROKER_EVENTS, "worker.t.stats", "{}", 2, NULL,
	    0, &cause);
	tap_ok(rc == -1 && cause != NULL && strstr(cause, "lost") != NULL,
	    "%s: and stays so", sfx);
	free(cause);
	broker_free(b);
	close(sp[1]);
}

/* A job failing every time: retried T_RETRIES times with growing delays,
 * then dead with its reason. */
static void
t_retry(const struct conf_amqp *conf, const char *sfx)
{
	struct broker_delivery	 d;
	struct broker		*b;
	char			*cause = NULL, queue[64];
	int64_t			 t[T_RETRIES + 1], want;
	long long		 depth = 0;
	int			 i, rc, got = 0, attempts_ok = 0, rcs_ok = 0;

	if ((b = t_connect(conf, sfx)) == NULL)
		return;
	t_check(broker_publish(b, BROKER_JOBS, "task", "retry-me", 8,
	    "text/plain", 1, &cause) == 0, &cause, "publish a failing job");
	t_check(broker_consume(b, "pfo3.jobs.task", &cause) == 0, &cause,
	    "consume");
	for (i = 0; i <= T_RETRIES; i++) {
		if (broker_next(b, 10000, &d, &cause) != 1) {
			tap_diag("delivery %d: %s", i + 1, cause ? cause : "");
			break;
		}
		t[i] = clock_mono_ms();
		got++;
		if (d.attempt == i + 1 && strcmp(d.body, "retry-me") == 0)
			attempts_ok++;
		else
			tap_diag("delivery %d: attempt %d body %s", i + 1,
			    d.attempt, (char *)d.body);
		rc = broker_retry(b, &d, "task", d.attempt, "boom", &cause);
		if (rc == (i < T_RETRIES ? 0 : 1))
			rcs_ok++;
		else
			tap_diag("retry %d: %d %s", i + 1, rc,
			    cause ? cause : "");
		free(cause);
		cause = NULL;
		broker_delivery_clear(&d);
	}
	free(cause);
	cause = NULL;
	tap_is_int(got, T_RETRIES + 1, "%s: delivered %d times", sfx,
	    T_RETRIES + 1);
	tap_is_int(attempts_ok, T_RETRIES + 1, "%s: attempts 1..%d", sfx,
	    T_RETRIES + 1);
	tap_is_int(rcs_ok, T_RETRIES + 1, "%s: retried %d times, then dead",
	    sfx, T_RETRIES);
	for (i = 1; i < got; i++) {
		want = broker_retry_delay(conf, i);
		tap_diag("%s: attempt %d came %lld ms after attempt %d "
		    "(delay %lld)", sfx, i + 1, (long long)(t[i] - t[i - 1]),
		    i, (long long)want);
		/*
		 * At least its own delay, which doubles each time (checked
		 * below).  Gaps are not compared with each other: a slow
		 * consumer (sanitizer builds) stretches one gap, not the
		 * broker's delays.
		 */
		tap_ok(t[i] - t[i - 1] >= want - 20 &&
		    t[i] - t[i - 1] < want + 3000,
		    "%s: retry %d waited its delay", sfx, i);
	}
	tap_is_int(broker_retry_delay(conf, 3), 4 * T_DELAY,
	    "retry delay doubles");
	tap_is_int(t_depth(b, "pfo3.jobs.task"), 0, "%s: job queue empty", sfx);
	broker_free(b);

	if ((b = t_connect(conf, sfx)) == NULL)
		return;
	t_check(broker_consume(b, BROKER_DEAD_QUEUE, &cause) == 0, &cause,
	    "consume the dead queue");
	tap_is_int(broker_next(b, 5000, &d, &cause), 1, "%s: the job is in %s",
	    sfx, BROKER_DEAD_QUEUE);
	tap_is_str(d.body, "retry-me", "%s: its body", sfx);
	tap_is_str(d.reason, "boom", "%s: its reason header", sfx);
	tap_is_int(d.attempt, T_RETRIES + 1, "%s: its last attempt", sfx);
	tap_is_str(d.routing_key, "task", "%s: its type", sfx);
	tap_is_str(d.content_type, "text/plain", "%s: its content type", sfx);
	broker_ack(b, d.tag, &cause);
	broker_delivery_clear(&d);
	/* Each retry was one message: no copy shows up later. */
	tap_is_int(broker_next(b, (int)broker_retry_delay(conf, T_RETRIES) +
	    300, &d, &cause), 0, "%s: no second dead copy", sfx);
	for (i = 1; i <= T_RETRIES; i++) {
		snprintf(queue, sizeof queue, "%s%d", BROKER_RETRY_QUEUE, i);
		depth += t_depth(b, queue);
	}
	depth += t_depth(b, "pfo3.jobs.task");
	tap_is_int(depth, 0, "%s: retry and job queues empty", sfx);
	free(cause);
	broker_free(b);
}

/* A job rejected without requeue is dead-lettered by the broker; its
 * x-death header counts as an attempt. */
static void
t_reject(const struct conf_amqp *conf, const char *sfx)
{
	struct broker_delivery	 d;
	struct broker		*b;
	char			*cause = NULL;

	if ((b = t_connect(conf, sfx)) == NULL)
		return;
	broker_publish(b, BROKER_JOBS, "report", "reject-me", 9, NULL, 1,
	    &cause);
	t_check(broker_consume(b, "pfo3.jobs.report", &cause) == 0, &cause,
	    "consume reports");
	if (broker_next(b, 5000, &d, &cause) == 1) {
		t_check(broker_reject(b, d.tag, 0, &cause) == 0, &cause,
		    "reject");
		broker_delivery_clear(&d);
	} else
		t_check(0, &cause, "reject: no delivery");
	t_check(broker_consume(b, BROKER_DEAD_QUEUE, &cause) == 0, &cause,
	    "consume the dead queue");
	tap_is_int(broker_next(b, 5000, &d, &cause), 1, "%s: rejected job is "
	    "dead", sfx);
	tap_is_str(d.body, "reject-me", "%s: its body", sfx);
	tap_is_int(d.attempt, 2, "%s: x-death counted", sfx);
	tap_ok(d.reason == NULL, "%s: no reason header", sfx);
	broker_ack(b, d.tag, &cause);
	broker_delivery_clear(&d);
	free(cause);
	broker_free(b);
}

/* Runs everything that sends messages with queues of type `type`. */
static void
t_suite(struct conf_amqp *conf, const char *type)
{
	struct broker	*b;
	char		*cause = NULL, *saved = conf->queue_type;

	conf->queue_type = (char *)type;
	if ((b = t_connect(conf, type)) != NULL) {
		t_check(broker_declare_topology(b, &cause) == 0, &cause,
		    "private topology declared");
		t_check(broker_declare_topology(b, &cause) == 0, &cause,
		    "private topology declared again");
		broker_free(b);
		t_bulk(conf, type);
		t_interleave(conf, type);
		t_errors(conf, type);
		t_redeliver(conf, type);
		t_dead(conf, type);
		t_retry(conf, type);
		t_reject(conf, type);
	}
	if ((b = t_connect(conf, type)) != NULL) {
		t_check(broker_delete_topology(b, &cause) == 0, &cause,
		    "private topology deleted");
		tap_is_int(broker_queue_depth(b, "pfo3.jobs.task", NULL, NULL,
		    &cause), -1, "%s: its queues are gone", type);
		free(cause);
		broker_free(b);
	}
	conf->queue_type = saved;
}

/* Queues of another type than configured: a clear error naming one. */
static void
t_mismatch(struct conf_amqp *conf)
{
	struct broker	*b;
	char		*cause = NULL, *saved = conf->queue_type, *name;
	int		 rc;

	if ((b = t_connect(conf, "mismatch")) == NULL)
		return;
	conf->queue_type = "quorum";
	t_check(broker_declare_topology(b, &cause) == 0, &cause,
	    "quorum topology on fresh names");
	conf->queue_type = "classic";
	rc = broker_declare_topology(b, &cause);
	name = xasprintf("queue %smismatch.%s", t_prefix, BROKER_DEAD_QUEUE);
	tap_ok(rc == -1 && cause != NULL && strstr(cause, name) != NULL &&
	    strstr(cause, "x-queue-type") != NULL,
	    "classic over quorum: error names the queue and the argument");
	tap_diag("%s", cause ? cause : "(no cause)");
	free(cause);
	cause = NULL;
	free(name);
	conf->queue_type = "quorum";
	t_check(broker_declare_topology(b, &cause) == 0, &cause,
	    "the connection still works after the error");
	t_check(broker_delete_topology(b, &cause) == 0, &cause,
	    "mismatch topology deleted");
	broker_free(b);
	conf->queue_type = saved;
}

/* Wrong password, closed port: clear errors, no password in them. */
static void
t_refused(struct conf_amqp *conf, const char *url)
{
	struct broker	*b;
	const char	*s, *at, *colon;
	char		*saved = conf->url, *cause = NULL, *pass, *bad;

	s = strstr(url, "://") + 3;
	at = strrchr(s, '@');
	colon = memchr(s, ':', (size_t)(at - s));
	pass = xstrndup(colon + 1, (size_t)(at - colon - 1));
	bad = xasprintf("%.*sWr0ngPa55%s", (int)(colon + 1 - url), url, at);
	conf->url = bad;
	b = broker_connect(conf, "t-broker", &cause);
	tap_ok(b == NULL && cause != NULL &&
	    strstr(cause, "ACCESS_REFUSED") != NULL,
	    "wrong password: refused");
	tap_diag("%s", cause ? cause : "(no cause)");
	tap_ok(cause != NULL && strstr(cause, "Wr0ngPa55") == NULL &&
	    strstr(cause, pass) == NULL && strstr(cause, "***") != NULL,
	    "wrong password: not in the error");
	free(cause);
	cause = NULL;
	broker_free(b);
	free(bad);

	conf->url = "amqp://u:p@127.0.0.1:1/v";
	b = broker_connect(conf, "t-broker", &cause);
	tap_ok(b == NULL && cause != NULL &&
	    strstr(cause, "cannot connect") != NULL, "closed port: refused");
	tap_diag("%s", cause ? cause : "(no cause)");
	free(cause);
	broker_free(b);
	conf->url = saved;
	free(pass);
}

/*
 * A broker that accepts TCP and then says nothing (a frozen one): the
 * kernel completes the connection from the listen backlog.  Each phase
 * alone has a 10 s timeout; broker_connect_until ends them all at its
 * deadline, and a deadline set on a live connection bounds its confirm.
 */
static void
t_deadline(const struct conf_amqp *conf)
{
	struct conf_amqp	 slow = *conf;
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof sin;
	struct broker		*b;
	char			*cause = NULL, *url;
	int64_t			 t0, took;
	int			 fd, rc, sp[2];

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) != 0) {
		tap_ok(0, "deadline: a listening socket");
		if (fd != -1)
			close(fd);
		return;
	}
	url = xasprintf("amqp://u:p@127.0.0.1:%d/v", ntohs(sin.sin_port));
	slow.url = url;
	slow.connect_timeout = 10000;
	slow.rpc_timeout = 10000;
	t0 = clock_mono_ms();
	b = broker_connect_until(&slow, "t-broker", t0 + 400, &cause);
	took = clock_mono_ms() - t0;
	tap_ok(b == NULL && cause != NULL, "deadline: a silent broker fails");
	tap_diag("%s (after %lld ms)", cause ? cause : "(no cause)",
	    (long long)took);
	tap_ok(took >= 390 && took < 2000, "deadline: at the deadline, not "
	    "after the 10 s handshake timeout");
	free(cause);
	cause = NULL;
	broker_free(b);
	close(fd);
	free(url);

	/* A deadline on a live connection: its confirm waits until then,
	 * not the 10 s of amqp.confirm_timeout. */
	slow = *conf;
	slow.confirm_timeout = 10000;
	if ((b = t_connect(&slow, "deadline")) == NULL)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) != 0 ||
	    dup2(sp[0], broker_fd(b)) == -1) {
		tap_ok(0, "deadline: socketpair/dup2");
		broker_free(b);
		return;
	}
	close(sp[0]);
	t0 = clock_mono_ms();
	broker_set_deadline(b, t0 + 300);
	rc = broker_publish(b, BROKER_EVENTS, "worker.t.stats", "{}", 2, NULL,
	    0, &cause);
	took = clock_mono_ms() - t0;
	tap_ok(rc == -1 && took >= 290 && took < 3000,
	    "deadline: a publish gives up at the connection's deadline");
	tap_diag("%s (after %lld ms)", cause ? cause : "(no cause)",
	    (long long)took);
	free(cause);
	broker_free(b);
	close(sp[1]);
}

/* Whether a passive declare of `queue` (unprefixed) fails with `code`
 * ("NOT_FOUND", "RESOURCE_LOCKED"), retried for up to 3 s: the broker
 * deletes an auto-delete queue shortly after its connection closed. */
static int
t_queue_fails(struct broker *c, const char *queue, const char *code)
{
	char	*cause = NULL;
	int64_t	 until = clock_mono_ms() + 3000;
	int	 rc;

	for (;;) {
		rc = broker_queue_depth(c, queue, NULL, NULL, &cause) == -1 &&
		    strstr(cause, code) != NULL;
		if (rc || clock_mono_ms() >= until)
			break;
		free(cause);
		cause = NULL;
		usleep(100 * 1000);
	}
	if (!rc)
		tap_diag("%s: %s", queue, cause != NULL ? cause : "exists");
	free(cause);
	return rc;
}

/*
 * A topic subscription: a queue of the broker's naming, exclusive to its
 * connection, gets what matches its key and nothing else, and vanishes
 * with the connection.
 */
static void
t_topic(const struct conf_amqp *conf)
{
	struct broker_delivery	 d;
	struct broker		*sub, *pub, *plain;
	char			*cause = NULL, *queue;
	int			 rc;

	if ((sub = t_connect(conf, "topic")) == NULL)
		return;
	if ((pub = t_connect(conf, "topic")) == NULL) {
		broker_free(sub);
		return;
	}
	if ((plain = broker_connect(conf, "t-broker", &cause)) == NULL) {
		t_check(0, &cause, "topic: connect without prefix");
		broker_free(pub);
		broker_free(sub);
		return;
	}
	t_check(broker_declare_topology(sub, &cause) == 0, &cause,
	    "topic: topology declared");
	queue = broker_subscribe_topic(sub, BROKER_EVENTS, "worker.*.stats",
	    100, &cause);
	t_check(queue != NULL, &cause, "topic: subscribed");
	if (queue == NULL)
		goto out;
	tap_ok(strncmp(queue, "amq.gen-", 8) == 0,
	    "topic: the broker named the queue (%s)", queue);
	tap_ok(t_queue_fails(plain, queue, "RESOURCE_LOCKED"),
	    "topic: the queue is exclusive to its connection");

	/* Events are not mandatory: what matches no key is confirmed and
	 * dropped, so only the reading below tells what was routed. */
	t_check(broker_publish(pub, BROKER_EVENTS, "worker.w1.stats",
	    "{\"n\":1}", 7, "application/json", 0, &cause) == 0, &cause,
	    "topic: worker.w1.stats published");
	t_check(broker_publish(pub, BROKER_EVENTS, "user.7.notification",
	    "{}", 2, NULL, 0, &cause) == 0, &cause,
	    "topic: user.7.notification published");
	t_check(broker_publish(pub, BROKER_EVENTS, "worker.w1.other", "{}", 2,
	    NULL, 0, &cause) == 0, &cause, "topic: worker.w1.other published");
	t_check(broker_publish(pub, BROKER_EVENTS, "worker.w2.stats",
	    "{\"n\":2}", 7, NULL, 0, &cause) == 0, &cause,
	    "topic: worker.w2.stats published");

	rc = broker_next(sub, 3000, &d, &cause);
	tap_ok(rc == 1 && strcmp(d.routing_key, "worker.w1.stats") == 0 &&
	    d.len == 7 && memcmp(d.body, "{\"n\":1}", 7) == 0 &&
	    strcmp(d.content_type, "application/json") == 0,
	    "topic: the first message arrives with its key, body and type");
	if (rc == 1)
		broker_delivery_clear(&d);
	t_check(rc != -1, &cause, "topic: reading the first");
	rc = broker_next(sub, 3000, &d, &cause);
	tap_ok(rc == 1 && strcmp(d.routing_key, "worker.w2.stats") == 0,
	    "topic: then the second: the keys that do not match "
	    "worker.*.stats were not routed here");
	if (rc == 1)
		broker_delivery_clear(&d);
	t_check(rc != -1, &cause, "topic: reading the second");
	rc = broker_next(sub, 300, &d, &cause);
	tap_ok(rc == 0, "topic: nothing else arrives");
	if (rc == 1) {
		tap_diag("unexpected %s", d.routing_key);
		broker_delivery_clear(&d);
	}
	free(cause);
	cause = NULL;

	broker_free(sub);
	sub = NULL;
	tap_ok(t_queue_fails(plain, queue, "NOT_FOUND"),
	    "topic: the queue is gone once its connection closed");
	free(queue);
out:
	broker_free(sub);
	if (broker_delete_topology(pub, &cause) != 0)
		t_check(0, &cause, "topic: topology deleted");
	broker_free(pub);
	broker_free(plain);
}

static int
t_keep_setup(struct broker *b, void *arg, char **cause)
{
	int	*calls = arg;

	(*calls)++;
	broker_set_prefix(b, t_prefix);
	return broker_declare_topology(b, cause);
}

/*
 * A kept connection: made and set up on demand, kept while alive; after
 * a failure not tried again before the backoff (at least 250 ms, the
 * first delay's lower half), then made again.
 */
static void
t_keep(const struct conf_amqp *conf)
{
	struct conf_amqp	 bad = *conf;
	struct broker_keep	*k;
	struct broker		*b, *b2;
	char			*cause = NULL;
	int64_t			 t0, took;
	int			 calls = 0;

	k = broker_keep_new(conf, "t-broker keep", t_keep_setup, &calls);
	b = broker_keep_get(k);
	tap_ok(b != NULL && calls == 1 && broker_keep_up(k),
	    "keep: connected and set up on first use");
	b2 = broker_keep_get(k);
	tap_ok(b2 == b && calls == 1, "keep: the same connection after");
	broker_keep_failed(k, "a test's failure");
	tap_ok(!broker_keep_up(k), "keep: closed after a failure");
	tap_ok(broker_keep_get(k) == NULL, "keep: not tried again at once");
	t0 = clock_mono_ms();
	while ((b = broker_keep_get(k)) == NULL && clock_mono_ms() - t0 < 3000)
		usleep(20 * 1000);
	took = clock_mono_ms() - t0;
	tap_ok(b != NULL && calls == 2, "keep: connected again after the "
	    "backoff (%lld ms)", (long long)took);
	tap_ok(took >= 200, "keep: the backoff was waited");
	if (b != NULL && broker_delete_topology(b, &cause) != 0)
		t_check(0, &cause, "keep: topology deleted");
	broker_keep_free(k);

	/* A broker that cannot be reached: NULL, quickly, and no setup. */
	bad.url = "amqp://u:p@127.0.0.1:1/v";
	calls = 0;
	k = broker_keep_new(&bad, "t-broker keep", t_keep_setup, &calls);
	t0 = clock_mono_ms();
	b = broker_keep_get(k);
	b2 = broker_keep_get(k);
	tap_ok(b == NULL && b2 == NULL && calls == 0 && !broker_keep_up(k) &&
	    clock_mono_ms() - t0 < 2000, "keep: an unreachable broker gives "
	    "NULL at once, twice");
	broker_keep_free(k);
}

static void
t_ping(const struct conf_amqp *conf)
{
	double	 ms = -1;
	char	*cause = NULL;

	t_check(broker_ping(conf, &ms, &cause) == 0, &cause, "ping");
	tap_ok(ms > 0 && ms < 5000, "ping latency %.2f ms", ms);
}

int
main(void)
{
	struct pfo3_conf	 c;
	const char		*env;
	char			*url;

	env = getenv("PFO3_AMQP_URL");
	if (env == NULL || *env == '\0') {
		printf("1..0 # SKIP no running stack (run ./stack test)\n");
		return 0;
	}
	url = xstrdup(env);
	/* The environment would win over conf.url: the tests set it. */
	unsetenv("PFO3_AMQP_URL");
	log_init("t-broker", 1, LOG_LVL_ERROR);
	snprintf(t_prefix, sizeof t_prefix, "t-broker.%ld.", (long)getpid());

	conf_defaults(&c);
	free(c.amqp.url);
	c.amqp.url = xstrdup(url);
	c.amqp.max_retries = T_RETRIES;
	c.amqp.retry_delay = T_DELAY;

	t_mask();
	t_login();
	t_shared(&c.amqp);
	t_suite(&c.amqp, "classic");
	t_suite(&c.amqp, "quorum");
	t_mismatch(&c.amqp);
	t_refused(&c.amqp, url);
	t_topic(&c.amqp);
	t_keep(&c.amqp);
	t_ping(&c.amqp);
	t_deadline(&c.amqp);

	conf_free(&c);
	free(url);
	return tap_done();
}
