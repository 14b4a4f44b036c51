/*
 * broker.c — see broker.h: connecting, closing, and turning what
 * librabbitmq reports into causes and into the state of the connection.
 *
 * librabbitmq reports an RPC failure as an amqp_rpc_reply_t and every other
 * failure as a status; broker_reply and broker_status decide what each one
 * costs: a channel.close from the broker costs the channel (answered with
 * close-ok, reopened by the next call), anything else costs the connection.
 * An RPC that timed out leaves the connection in an unknown state, so it
 * counts as lost too.
 */
#include <sys/time.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include "broker-int.h"
#include "clock.h"
#include "conf.h"
#include "job-types.h"
#include "log.h"
#include "xmalloc.h"

/* Derived from the one table of job types (common/job-types.c). */
const char *const *const broker_job_types = job_types;

static struct broker *broker_open(const struct conf_amqp *, const char *,
	    int, int64_t, char **);

/* `ms`, or less when b's deadline comes first (at least 1 ms, so that a
 * passed deadline still fails by timeout rather than blocking). */
int64_t
broker_bound(const struct broker *b, int64_t ms)
{
	int64_t	left;

	if (b->deadline == 0)
		return ms;
	left = b->deadline - clock_mono_ms();
	if (left < 1)
		left = 1;
	return left < ms ? left : ms;
}

/* Sets the RPC (and handshake) timeout to amqp.rpc_timeout, bounded by
 * the deadline; called before each blocking RPC. */
void
broker_rpc_bound(struct broker *b)
{
	struct timeval	tv;

	clock_timeval(&tv, broker_bound(b, b->conf->rpc_timeout));
	amqp_set_handshake_timeout(b->conn, &tv);
	amqp_set_rpc_timeout(b->conn, &tv);
}

void
broker_set_deadline(struct broker *b, int64_t deadline)
{
	b->deadline = deadline;
	if (b->conn != NULL)
		broker_rpc_bound(b);
}

/* Accepts any URL-ish text; masks what lies between the first ':' after
 * the scheme and the last '@'.  The last '@' is used, not the end of the
 * authority, so a password holding an unescaped '/' is still hidden. */
char *
broker_url_mask(const char *url)
{
	const char	*s, *at, *colon;

	s = strstr(url, "://");
	s = s == NULL ? url : s + 3;
	if ((at = strrchr(s, '@')) == NULL)
		return xstrdup(url);
	if ((colon = memchr(s, ':', (size_t)(at - s))) == NULL)
		return xstrdup(url);
	return xasprintf("%.*s***%s", (int)(colon + 1 - url), url, at);
}

/* The prefixed name of exchange or queue `name` (allocated). */
char *
broker_name(const struct broker *b, const char *name)
{
	return xasprintf("%s%s", b->prefix, name);
}

void
broker_set_prefix(struct broker *b, const char *prefix)
{
	free(b->prefix);
	b->prefix = xstrdup(prefix);
}

int
broker_alive(const struct broker *b)
{
	return !b->dead;
}

int
broker_fd(const struct broker *b)
{
	if (b->conn == NULL)
		return -1;
	return amqp_get_sockfd(b->conn);
}

/* Marks the connection lost (once) and says why in the log. */
void
broker_lost(struct broker *b, const char *why)
{
	if (b->dead)
		return;
	b->dead = 1;
	b->chan_open = 0;
	b->consumers = 0;
	/* Unacked deliveries go back to their queues with the connection. */
	broker_stash_clear(b);
	log_warnx("%s: connection lost: %s", b->url, why);
}

/* Forgets the channel after the broker closed it with `why`. */
static void
broker_channel_closed(struct broker *b, const char *why)
{
	b->chan_open = 0;
	b->confirming = 0;
	b->consumers = 0;
	b->npending = 0;
	broker_stash_clear(b);	/* requeued by the broker with the channel */
	free(b->chan_error);
	b->chan_error = xstrdup(why);
	log_warnx("%s: channel closed by the broker: %s", b->url, why);
}

/* Answers the broker's channel.close or connection.close in `m` (a method
 * on `channel`) and records what it costs.  Returns the reason (allocated). */
static char *
broker_closed(struct broker *b, amqp_channel_t channel, amqp_method_t *m)
{
	amqp_channel_close_t		*cc;
	amqp_connection_close_t		*xc;
	amqp_channel_close_ok_t		 cok;
	amqp_connection_close_ok_t	 xok;
	char				*why;

	if (m->id == AMQP_CHANNEL_CLOSE_METHOD) {
		cc = m->decoded;
		b->last_code = cc->reply_code;
		why = xasprintf("%u %.*s", cc->reply_code,
		    (int)cc->reply_text.len, (char *)cc->reply_text.bytes);
		memset(&cok, 0, sizeof cok);
		if (amqp_send_method(b->conn, channel,
		    AMQP_CHANNEL_CLOSE_OK_METHOD, &cok) != AMQP_STATUS_OK)
			broker_lost(b, "cannot answer channel.close");
		broker_channel_closed(b, why);
		return why;
	}
	xc = m->decoded;
	b->last_code = xc->reply_code;
	why = xasprintf("closed by the broker: %u %.*s", xc->reply_code,
	    (int)xc->reply_text.len, (char *)xc->reply_text.bytes);
	memset(&xok, 0, sizeof xok);
	amqp_send_method(b->conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &xok);
	broker_lost(b, why);
	return why;
}

/*
 * Checks the reply of the RPC `what`.  Returns 0 when normal; else -1 with
 * *cause = "what: reason", after closing what the failure closed.
 * b->last_code keeps the broker's reply code (0 for a library error).
 */
int
broker_reply(struct broker *b, amqp_rpc_reply_t r, const char *what,
    char **cause)
{
	char	*why;

	b->last_code = 0;
	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		return 0;
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		why = xstrdup(amqp_error_string2(r.library_error));
		broker_lost(b, why);
		break;
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD ||
		    r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
			why = broker_closed(b, BROKER_CHANNEL, &r.reply);
			break;
		}
		why = xasprintf("unexpected method %s",
		    amqp_method_name(r.reply.id));
		broker_lost(b, why);
		break;
	default:
		why = xstrdup("no reply");
		broker_lost(b, why);
		break;
	}
	*cause = xasprintf("%s: %s", what, why);
	free(why);
	return -1;
}

/* Checks the status of a call that is not an RPC (publish, ack, wait);
 * any failure costs the connection. */
int
broker_status(struct broker *b, int status, const char *what, char **cause)
{
	if (status == AMQP_STATUS_OK)
		return 0;
	broker_lost(b, amqp_error_string2(status));
	*cause = xasprintf("%s: %s (connection lost)", what,
	    amqp_error_string2(status));
	return -1;
}

/* Makes sure the connection lives and channel 1 is open: reopens it after
 * the broker closed it.  A new channel starts without confirms. */
int
broker_ready(struct broker *b, char **cause)
{
	if (b->dead) {
		*cause = xasprintf("%s: connection lost", b->url);
		return -1;
	}
	if (b->chan_open)
		return 0;
	broker_rpc_bound(b);
	amqp_channel_open(b->conn, BROKER_CHANNEL);
	if (broker_reply(b, amqp_get_rpc_reply(b->conn), "channel.open",
	    cause) != 0)
		return -1;
	b->chan_open = 1;
	b->confirming = 0;
	b->next_tag = 1;
	b->npending = 0;
	return 0;
}

/*
 * Handles a frame that arrived outside an RPC: confirms, returned
 * messages, deliveries (stashed for broker_next), and closes.  Returns 0,
 * or -1 + *cause when the frame ended the channel or the connection.
 */
int
broker_frame(struct broker *b, amqp_frame_t *frame, char **cause)
{
	amqp_basic_ack_t	*ack;
	amqp_basic_nack_t	*nack;
	amqp_basic_return_t	*ret;
	amqp_basic_deliver_t	*del;
	struct broker_stashed	*s;
	amqp_message_t		 msg;
	amqp_rpc_reply_t	 r;
	amqp_bytes_t		 ex, rk;
	uint64_t		 tag;
	int			 redelivered;
	char			*why;

	if (frame->frame_type != AMQP_FRAME_METHOD) {
		broker_lost(b, "content frame without a method");
		*cause = xasprintf("%s: protocol error: content frame without "
		    "a method", b->url);
		return -1;
	}
	switch (frame->payload.method.id) {
	case AMQP_BASIC_ACK_METHOD:
		ack = frame->payload.method.decoded;
		broker_confirmed(b, ack->delivery_tag, ack->multiple, 0);
		return 0;
	case AMQP_BASIC_NACK_METHOD:
		nack = frame->payload.method.decoded;
		broker_confirmed(b, nack->delivery_tag, nack->multiple, 1);
		return 0;
	case AMQP_BASIC_RETURN_METHOD:
		/* The message follows; it must be read off the wire. */
		ret = frame->payload.method.decoded;
		why = xasprintf("unroutable (%u %.*s, exchange '%.*s', key "
		    "'%.*s')", ret->reply_code, (int)ret->reply_text.len,
		    (char *)ret->reply_text.bytes, (int)ret->exchange.len,
		    (char *)ret->exchange.bytes, (int)ret->routing_key.len,
		    (char *)ret->routing_key.bytes);
		r = amqp_read_message(b->conn, frame->channel, &msg, 0);
		if (broker_reply(b, r, "reading a returned message",
		    cause) != 0) {
			free(why);
			return -1;
		}
		amqp_destroy_message(&msg);
		free(b->returned);
		b->returned = why;
		return 0;
	case AMQP_BASIC_DELIVER_METHOD:
		del = frame->payload.method.decoded;
		tag = del->delivery_tag;
		redelivered = del->redelivered;
		ex = amqp_bytes_malloc_dup(del->exchange);
		rk = amqp_bytes_malloc_dup(del->routing_key);
		r = amqp_read_message(b->conn, frame->channel, &msg, 0);
		if (broker_reply(b, r, "reading a delivery", cause) != 0) {
			amqp_bytes_free(ex);
			amqp_bytes_free(rk);
			return -1;
		}
		s = xcalloc(1, sizeof *s);
		broker_delivery_fill(&s->d, tag, redelivered, ex, rk, &msg);
		TAILQ_INSERT_TAIL(&b->stash, s, entry);
		log_debug("%s: delivery %llu kept for later", b->url,
		    (unsigned long long)tag);
		amqp_destroy_message(&msg);
		amqp_bytes_free(ex);
		amqp_bytes_free(rk);
		return 0;
	case AMQP_CHANNEL_CLOSE_METHOD:
	case AMQP_CONNECTION_CLOSE_METHOD:
		why = broker_closed(b, frame->channel, &frame->payload.method);
		*cause = xasprintf("%s: %s", b->url, why);
		free(why);
		return -1;
	case AMQP_BASIC_CANCEL_METHOD:
		b->consumers = 0;
		*cause = xasprintf("%s: the broker cancelled the consumer "
		    "(queue deleted?)", b->url);
		return -1;
	default:
		log_debug("%s: ignored %s", b->url,
		    amqp_method_name(frame->payload.method.id));
		return 0;
	}
}

/* The URL connected to: $PFO3_AMQP_URL when set and not empty (tests,
 * ./stack), else conf->url. */
static const char *
broker_conf_url(const struct conf_amqp *conf)
{
	const char	*url = getenv("PFO3_AMQP_URL");

	return url != NULL && *url != '\0' ? url : conf->url;
}

int
broker_login_of(const struct conf_amqp *conf, char **user, char **password,
    char **vhost, char **cause)
{
	struct amqp_connection_info	 info;
	char				*copy, *masked;

	/* amqp_parse_url cuts and decodes the string it is given. */
	copy = xstrdup(broker_conf_url(conf));
	amqp_default_connection_info(&info);
	if (amqp_parse_url(copy, &info) != AMQP_STATUS_OK) {
		masked = broker_url_mask(broker_conf_url(conf));
		*cause = xasprintf("%s: not an AMQP URL "
		    "(amqp://user:password@host:port/vhost)", masked);
		free(masked);
		free(copy);
		return -1;
	}
	*user = xstrdup(info.user);
	*password = xstrdup(info.password);
	*vhost = xstrdup(info.vhost);
	free(copy);
	return 0;
}

#define BROKER_FRAME_MAX	16384	/* bytes of an AMQP frame (>= 4096) */

/* Logs in as the user of the parsed URL `info`; 0 or -1 + *cause. */
static int
broker_login(struct broker *b, const struct amqp_connection_info *info,
    const char *client_name, char **cause)
{
	amqp_table_entry_t	 e;
	amqp_table_t		 props;
	amqp_rpc_reply_t	 r;
	int			 heartbeat;

	/* AMQP counts heartbeats in seconds; a configured 1 ms is 1 s. */
	heartbeat = (int)((b->conf->heartbeat + 999) / 1000);
	e.key = amqp_cstring_bytes("connection_name");
	e.value.kind = AMQP_FIELD_KIND_UTF8;
	e.value.value.bytes = amqp_cstring_bytes(client_name);
	props.num_entries = 1;
	props.entries = &e;
	/*
	 * Frames of at most BROKER_FRAME_MAX bytes: the library keeps an
	 * output buffer and decoding pages of that size for the life of the
	 * connection, 128 KiB each by default, while jobs and events are
	 * JSON of a few hundred bytes (a larger message is split into
	 * frames).
	 */
	r = amqp_login_with_properties(b->conn, info->vhost,
	    AMQP_DEFAULT_MAX_CHANNELS, BROKER_FRAME_MAX, heartbeat,
	    &props, AMQP_SASL_METHOD_PLAIN, info->user, info->password);
	return broker_reply(b, r, "login", cause);
}

/* Does broker_connect; `quiet` keeps the log silent (probes). */
static struct broker *
broker_open(const struct conf_amqp *conf, const char *client_name, int quiet,
    int64_t deadline, char **cause)
{
	struct amqp_connection_info	 info;
	struct broker			*b;
	amqp_socket_t			*sock;
	struct timeval			 tv;
	const char			*url;
	char				*copy, *why;
	int				 status, fd;

	url = broker_conf_url(conf);
	b = xcalloc(1, sizeof *b);
	b->conf = conf;
	b->deadline = deadline;
	b->url = broker_url_mask(url);
	b->prefix = xstrdup("");
	TAILQ_INIT(&b->stash);

	/* amqp_parse_url cuts and decodes the string it is given. */
	copy = xstrdup(url);
	amqp_default_connection_info(&info);
	if (amqp_parse_url(copy, &info) != AMQP_STATUS_OK) {
		*cause = xasprintf("%s: not an AMQP URL "
		    "(amqp://user:password@host:port/vhost)", b->url);
		goto fail;
	}
	if (info.ssl) {
		*cause = xasprintf("%s: amqps:// is not supported", b->url);
		goto fail;
	}

	if ((b->conn = amqp_new_connection()) == NULL)
		fatalx("amqp_new_connection failed");
	if ((sock = amqp_tcp_socket_new(b->conn)) == NULL)
		fatalx("amqp_tcp_socket_new failed");
	/*
	 * Every blocking call has a bound: amqp.connect_timeout for the TCP
	 * connection, amqp.rpc_timeout for the handshake, the login and each
	 * RPC after (a broker that accepts and then hangs would otherwise
	 * hold the thread forever).  Publisher confirms wait
	 * amqp.confirm_timeout (broker-publish.c).
	 */
	clock_timeval(&tv, broker_bound(b, conf->connect_timeout > 0 ?
	    conf->connect_timeout : conf->rpc_timeout));
	status = amqp_socket_open_noblock(sock, info.host, info.port, &tv);
	broker_rpc_bound(b);
	if (status != AMQP_STATUS_OK) {
		b->dead = 1;
		*cause = xasprintf("%s: cannot connect: %s", b->url,
		    amqp_error_string2(status));
		goto fail;
	}
	if ((fd = amqp_socket_get_sockfd(sock)) != -1)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	b->dead = 1;	/* until logged in: nothing to close politely */
	broker_rpc_bound(b);
	if (broker_login(b, &info, client_name, &why) != 0) {
		*cause = xasprintf("%s: %s%s", b->url, why,
		    b->last_code == 403 ? " (wrong user or password)" : "");
		free(why);
		goto fail;
	}
	b->dead = 0;
	if (broker_ready(b, &why) != 0) {
		*cause = xasprintf("%s: %s", b->url, why);
		free(why);
		goto fail;
	}
	free(copy);
	/* The deadline was this attempt's; later calls set their own. */
	broker_set_deadline(b, 0);
	if (!quiet)
		log_info("connected to %s as %s", b->url, client_name);
	return b;

fail:
	free(copy);
	broker_free(b);
	return NULL;
}

struct broker *
broker_connect(const struct conf_amqp *conf, const char *client_name,
    char **cause)
{
	return broker_open(conf, client_name, 0, 0, cause);
}

struct broker *
broker_connect_until(const struct conf_amqp *conf, const char *client_name,
    int64_t deadline, char **cause)
{
	return broker_open(conf, client_name, 0, deadline, cause);
}

void
broker_free(struct broker *b)
{
	if (b == NULL)
		return;
	if (b->conn != NULL) {
		/* A lost connection has no one to say goodbye to. */
		if (!b->dead)
			amqp_connection_close(b->conn, AMQP_REPLY_SUCCESS);
		amqp_destroy_connection(b->conn);
	}
	broker_stash_clear(b);
	free(b->pending);
	free(b->returned);
	free(b->chan_error);
	free(b->prefix);
	free(b->url);
	free(b);
}

/*
 * A fresh connection each time rather than a passive declare on a pooled
 * one: the prober runs on its own thread and must not borrow another
 * thread's connection; a full connect proves what a worker needs (TCP,
 * credentials, vhost, a channel); and it costs a few milliseconds every
 * probe interval.
 */
int
broker_ping(const struct conf_amqp *conf, double *latency_ms, char **cause)
{
	struct broker	*b;
	int64_t		 t0;

	t0 = clock_mono_us();
	if ((b = broker_open(conf, "pfo3-probe", 1, 0, cause)) == NULL)
		return -1;
	broker_free(b);
	*latency_ms = (double)(clock_mono_us() - t0) / 1000.0;
	return 0;
}
