/*
 * broker-consume.c — consuming with manual acks, and retries.
 *
 * A topic subscription (broker_subscribe_topic) is a queue of the
 * connection's own, named by the broker, exclusive and auto-deleted: it
 * vanishes with the connection, so a subscriber that dies leaves nothing
 * behind to fill up.  Its deliveries come through broker_next too, but
 * they are acknowledged on delivery (no_ack): such listeners want the
 * newest messages, not every one.
 *
 * Deliveries normally come from amqp_consume_message.  When the next frame
 * is something else (a late confirm, a returned message, the broker closing
 * the channel) it answers AMQP_STATUS_UNEXPECTED_STATE and leaves the frame
 * for amqp_simple_wait_frame, which we hand to broker_frame.  Deliveries
 * that arrive while a publish waits for its confirm are read there and
 * stashed; broker_next returns them first, in order.
 *
 * Retries: see broker-topology.c for the delay queues.  A failed message is
 * published again (a new message: same body, type and id) with the headers
 * x-attempt (the next attempt's number), x-pfo3-reason (why the last one
 * failed) and pfo3-retry-level (which delay queue), and the per-message
 * `expiration` of its delay; only once the broker confirmed the copy is the
 * original acked.  A crash between the two runs the job once more, which
 * the idempotent handlers allow; the other order could lose it.
 */
#include <sys/time.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-int.h"
#include "clock.h"
#include "conf.h"
#include "log.h"
#include "xmalloc.h"

static char	*broker_bytes_str(amqp_bytes_t);

int
broker_consume(struct broker *b, const char *queue, char **cause)
{
	char	*name, *what;
	int	 rc = -1;

	if (broker_ready(b, cause) != 0)
		return -1;
	name = broker_name(b, queue);
	what = xasprintf("consume from queue %s", name);
	/* Per consumer (global = 0): each consumer gets `prefetch`. */
	amqp_basic_qos(b->conn, BROKER_CHANNEL, 0,
	    (uint16_t)b->conf->prefetch, 0);
	if (broker_reply(b, amqp_get_rpc_reply(b->conn), what, cause) != 0)
		goto out;
	amqp_basic_consume(b->conn, BROKER_CHANNEL, amqp_cstring_bytes(name),
	    amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
	if (broker_reply(b, amqp_get_rpc_reply(b->conn), what, cause) != 0)
		goto out;
	b->consumers++;
	rc = 0;
out:
	free(what);
	free(name);
	return rc;
}

char *
broker_subscribe_topic(struct broker *b, const char *exchange,
    const char *binding_key, uint32_t max_length, char **cause)
{
	amqp_queue_declare_ok_t	*ok;
	amqp_table_entry_t	 arg;
	amqp_table_t		 args = amqp_empty_table;
	char			*name = NULL, *ex, *what;

	if (broker_ready(b, cause) != 0)
		return NULL;
	ex = broker_name(b, exchange);
	what = xasprintf("subscribe to %s on exchange %s", binding_key, ex);
	if (max_length > 0) {
		/* Overflow drops the oldest: the newest messages matter. */
		arg.key = amqp_cstring_bytes("x-max-length");
		arg.value.kind = AMQP_FIELD_KIND_I32;
		arg.value.value.i32 = max_length > INT32_MAX ? INT32_MAX :
		    (int32_t)max_length;
		args.num_entries = 1;
		args.entries = &arg;
	}
	broker_rpc_bound(b);
	/* "" asks the broker for a name; not durable, exclusive, auto-delete. */
	ok = amqp_queue_declare(b->conn, BROKER_CHANNEL, amqp_empty_bytes, 0, 0,
	    1, 1, args);
	if (broker_reply(b, amqp_get_rpc_reply(b->conn), what, cause) != 0)
		goto out;
	if (ok == NULL) {
		*cause = xasprintf("%s: no queue.declare-ok", what);
		goto out;
	}
	name = broker_bytes_str(ok->queue);
	amqp_queue_bind(b->conn, BROKER_CHANNEL, amqp_cstring_bytes(name),
	    amqp_cstring_bytes(ex), amqp_cstring_bytes(binding_key),
	    amqp_empty_table);
	if (broker_reply(b, amqp_get_rpc_reply(b->conn), what, cause) != 0)
		goto fail;
	/* no_ack: a lost message costs nothing, the next one follows. */
	amqp_basic_consume(b->conn, BROKER_CHANNEL, amqp_cstring_bytes(name),
	    amqp_empty_bytes, 0, 1, 1, amqp_empty_table);
	if (broker_reply(b, amqp_get_rpc_reply(b->conn), what, cause) != 0)
		goto fail;
	b->consumers++;
	goto out;
fail:
	free(name);
	name = NULL;
out:
	free(what);
	free(ex);
	return name;
}

/* Reads an integer of any AMQP integer kind; -1 for other kinds. */
static int
broker_field_int(const amqp_field_value_t *v, int64_t *out)
{
	switch (v->kind) {
	case AMQP_FIELD_KIND_I8:	*out = v->value.i8; return 0;
	case AMQP_FIELD_KIND_U8:	*out = v->value.u8; return 0;
	case AMQP_FIELD_KIND_I16:	*out = v->value.i16; return 0;
	case AMQP_FIELD_KIND_U16:	*out = v->value.u16; return 0;
	case AMQP_FIELD_KIND_I32:	*out = v->value.i32; return 0;
	case AMQP_FIELD_KIND_U32:	*out = v->value.u32; return 0;
	case AMQP_FIELD_KIND_I64:	*out = v->value.i64; return 0;
	case AMQP_FIELD_KIND_U64:
		*out = v->value.u64 > INT64_MAX ? INT64_MAX :
		    (int64_t)v->value.u64;
		return 0;
	default:
		return -1;
	}
}

static int
broker_key_is(amqp_bytes_t key, const char *name)
{
	size_t	n = strlen(name);

	return key.len == n && memcmp(key.bytes, name, n) == 0;
}

/* The sum of the "count" of every x-death entry: how many times the
 * message was dead-lettered on its way here. */
static int64_t
broker_death_count(const amqp_field_value_t *v)
{
	const amqp_table_t	*t;
	int64_t			 n, sum = 0;
	int			 i, j;

	if (v->kind != AMQP_FIELD_KIND_ARRAY)
		return 0;
	for (i = 0; i < v->value.array.num_entries; i++) {
		if (v->value.array.entries[i].kind != AMQP_FIELD_KIND_TABLE)
			continue;
		t = &v->value.array.entries[i].value.table;
		for (j = 0; j < t->num_entries; j++) {
			if (broker_key_is(t->entries[j].key, "count") &&
			    broker_field_int(&t->entries[j].value, &n) == 0 &&
			    n > 0)
				sum += n;
		}
	}
	return sum;
}

static char *
broker_bytes_str(amqp_bytes_t bytes)
{
	return xstrndup(bytes.len == 0 ? "" : bytes.bytes, bytes.len);
}

/* Copies a delivery out of librabbitmq's memory into `out`. */
void
broker_delivery_fill(struct broker_delivery *out, uint64_t tag,
    int redelivered, amqp_bytes_t exchange, amqp_bytes_t routing_key,
    const amqp_message_t *msg)
{
	const amqp_basic_properties_t	*p = &msg->properties;
	const amqp_table_entry_t	*e;
	int64_t				 attempt = 0, deaths = 0, n;
	int				 i;

	memset(out, 0, sizeof *out);
	out->tag = tag;
	out->redelivered = redelivered != 0;
	out->exchange = broker_bytes_str(exchange);
	out->routing_key = broker_bytes_str(routing_key);
	out->len = msg->body.len;
	out->body = xmalloc(out->len + 1);
	if (out->len != 0)
		memcpy(out->body, msg->body.bytes, out->len);
	((char *)out->body)[out->len] = '\0';
	out->content_type = (p->_flags & AMQP_BASIC_CONTENT_TYPE_FLAG) ?
	    broker_bytes_str(p->content_type) : xstrdup("");
	out->message_id = (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) ?
	    broker_bytes_str(p->message_id) : xstrdup("");
	if (p->_flags & AMQP_BASIC_HEADERS_FLAG) {
		for (i = 0; i < p->headers.num_entries; i++) {
			e = &p->headers.entries[i];
			if (broker_key_is(e->key, "x-attempt") &&
			    broker_field_int(&e->value, &n) == 0)
				attempt = n;
			else if (broker_key_is(e->key, "x-death"))
				deaths = broker_death_count(&e->value);
			else if (broker_key_is(e->key, "x-pfo3-reason") &&
			    (e->value.kind == AMQP_FIELD_KIND_UTF8 ||
			    e->value.kind == AMQP_FIELD_KIND_BYTES)) {
				free(out->reason);
				out->reason =
				    broker_bytes_str(e->value.value.bytes);
			}
		}
	}
	if (attempt < 1)
		attempt = 1 + deaths;
	out->attempt = attempt > INT_MAX ? INT_MAX : (int)attempt;
}

void
broker_delivery_clear(struct broker_delivery *d)
{
	free(d->exchange);
	free(d->routing_key);
	free(d->content_type);
	free(d->message_id);
	free(d->reason);
	free(d->body);
	memset(d, 0, sizeof *d);
}

void
broker_stash_clear(struct broker *b)
{
	struct broker_stashed	*s;

	while ((s = TAILQ_FIRST(&b->stash)) != NULL) {
		TAILQ_REMOVE(&b->stash, s, entry);
		broker_delivery_clear(&s->d);
		free(s);
	}
}

/* Moves the oldest stashed delivery into `out`; 0 when there is none. */
static int
broker_stash_pop(struct broker *b, struct broker_delivery *out)
{
	struct broker_stashed	*s;

	if ((s = TAILQ_FIRST(&b->stash)) == NULL)
		return 0;
	TAILQ_REMOVE(&b->stash, s, entry);
	*out = s->d;
	free(s);
	return 1;
}

int
broker_next(struct broker *b, int timeout_ms, struct broker_delivery *out,
    char **cause)
{
	amqp_envelope_t		 env;
	amqp_rpc_reply_t	 r;
	amqp_frame_t		 frame;
	struct timeval		 tv, *tvp;
	int64_t			 deadline = 0, left = 0;
	int			 status;

	memset(out, 0, sizeof *out);
	if (broker_stash_pop(b, out))
		return 1;
	if (b->dead) {
		*cause = xasprintf("%s: connection lost", b->url);
		return -1;
	}
	if (b->consumers == 0) {
		*cause = xasprintf("%s: not consuming%s%s", b->url,
		    b->chan_error != NULL ? ": the channel was closed: " : "",
		    b->chan_error != NULL ? b->chan_error : "");
		return -1;
	}
	if (timeout_ms >= 0)
		deadline = clock_mono_ms() + timeout_ms;
	for (;;) {
		tvp = NULL;
		if (timeout_ms >= 0) {
			left = deadline - clock_mono_ms();
			tvp = clock_timeval(&tv, left < 0 ? 0 : left);
		}
		amqp_maybe_release_buffers_on_channel(b->conn, BROKER_CHANNEL);
		r = amqp_consume_message(b->conn, &env, tvp, 0);
		if (r.reply_type == AMQP_RESPONSE_NORMAL) {
			broker_delivery_fill(out, env.delivery_tag,
			    env.redelivered, env.exchange, env.routing_key,
			    &env.message);
			amqp_destroy_envelope(&env);
			return 1;
		}
		if (r.reply_type != AMQP_RESPONSE_LIBRARY_EXCEPTION ||
		    (r.library_error != AMQP_STATUS_TIMEOUT &&
		    r.library_error != AMQP_STATUS_UNEXPECTED_STATE))
			return broker_reply(b, r, "waiting for a delivery",
			    cause);
		if (r.library_error == AMQP_STATUS_TIMEOUT)
			return 0;

		/* Not a delivery: the frame waits to be read. */
		status = amqp_simple_wait_frame(b->conn, &frame);
		if (broker_status(b, status, "reading a frame", cause) != 0)
			return -1;
		if (broker_frame(b, &frame, cause) != 0)
			return -1;
		if (broker_stash_pop(b, out))
			return 1;
		if (timeout_ms >= 0 && clock_mono_ms() >= deadline)
			return 0;
	}
}

/* Whether `tag` can still be answered: the channel that delivered it and
 * its consumers must still be there, else the broker already requeued it. */
static int
broker_ackable(struct broker *b, char **cause)
{
	if (b->dead) {
		*cause = xasprintf("%s: connection lost (the message will be "
		    "delivered again)", b->url);
		return -1;
	}
	if (b->consumers == 0 || !b->chan_open) {
		*cause = xasprintf("%s: the channel of the delivery was closed "
		    "(the message will be delivered again)", b->url);
		return -1;
	}
	return 0;
}

int
broker_ack(struct broker *b, uint64_t tag, char **cause)
{
	if (broker_ackable(b, cause) != 0)
		return -1;
	return broker_status(b, amqp_basic_ack(b->conn, BROKER_CHANNEL, tag,
	    0), "ack", cause);
}

int
broker_reject(struct broker *b, uint64_t tag, int requeue, char **cause)
{
	if (broker_ackable(b, cause) != 0)
		return -1;
	return broker_status(b, amqp_basic_reject(b->conn, BROKER_CHANNEL,
	    tag, requeue), "reject", cause);
}

int64_t
broker_retry_delay(const struct conf_amqp *conf, int attempt)
{
	int64_t	delay = conf->retry_delay;
	int	level;

	level = attempt < 1 ? 1 : attempt;
	if (level > BROKER_RETRY_LEVELS)
		level = BROKER_RETRY_LEVELS;
	while (--level > 0 && delay < BROKER_RETRY_MAX_DELAY)
		delay *= 2;
	return delay > BROKER_RETRY_MAX_DELAY ? BROKER_RETRY_MAX_DELAY : delay;
}

static void
broker_header_str(amqp_table_entry_t *e, const char *key, const char *value)
{
	e->key = amqp_cstring_bytes(key);
	e->value.kind = AMQP_FIELD_KIND_UTF8;
	e->value.value.bytes = amqp_cstring_bytes(value);
}

int
broker_retry(struct broker *b, const struct broker_delivery *d,
    const char *type, int attempt, const char *reason, char **cause)
{
	amqp_basic_properties_t	 props;
	amqp_table_entry_t	 h[3];
	const char		*exchange;
	char			 level[16], expiration[32];
	int			 lvl, dead;

	if (attempt < 1)
		attempt = 1;
	if (reason == NULL || *reason == '\0')
		reason = "unknown";
	dead = attempt > b->conf->max_retries;

	memset(&props, 0, sizeof props);
	props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_HEADERS_FLAG;
	props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
	if (d->content_type != NULL && *d->content_type != '\0') {
		props._flags |= AMQP_BASIC_CONTENT_TYPE_FLAG;
		props.content_type = amqp_cstring_bytes(d->content_type);
	}
	if (d->message_id != NULL && *d->message_id != '\0') {
		props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
		props.message_id = amqp_cstring_bytes(d->message_id);
	}
	h[0].key = amqp_cstring_bytes("x-attempt");
	h[0].value.kind = AMQP_FIELD_KIND_I64;
	h[0].value.value.i64 = dead ? attempt : attempt + 1;
	broker_header_str(&h[1], "x-pfo3-reason", reason);
	props.headers.entries = h;
	props.headers.num_entries = 2;

	if (dead)
		exchange = BROKER_DEAD;
	else {
		exchange = BROKER_RETRY;
		lvl = attempt < BROKER_RETRY_LEVELS ? attempt :
		    BROKER_RETRY_LEVELS;
		snprintf(level, sizeof level, "%d", lvl);
		broker_header_str(&h[2], "pfo3-retry-level", level);
		props.headers.num_entries = 3;
		props._flags |= AMQP_BASIC_EXPIRATION_FLAG;
		snprintf(expiration, sizeof expiration, "%lld",
		    (long long)broker_retry_delay(b->conf, attempt));
		props.expiration = amqp_cstring_bytes(expiration);
	}
	if (broker_publish_props(b, exchange, type, &props, d->body, d->len,
	    cause) != 0)
		return -1;
	if (broker_ack(b, d->tag, cause) != 0)
		return -1;
	return dead;
}
