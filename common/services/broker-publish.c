/*
 * broker-publish.c — publishing with publisher confirms.
 *
 * The channel is put in confirm mode once; from then on the broker numbers
 * the messages published on it 1, 2, 3… and answers each number with
 * basic.ack or basic.nack, possibly several at once (`multiple`: every
 * number up to this one) and not necessarily in order.  The numbers not
 * answered yet are kept in b->pending.
 *
 * A message is published, then we wait for its answer: only the confirm
 * proves the broker has it.  basic_publish only fills the socket's send
 * buffer, so it "succeeds" on a connection that died a minute ago; the
 * wait is what notices.  No answer within confirm_timeout means the
 * connection is presumed lost (a half-open TCP connection is noticed by
 * heartbeats only after two intervals): the caller reconnects and
 * publishes again, which at worst duplicates a message — delivery is at
 * least once and the job handlers are idempotent.
 *
 * Messages are published `mandatory`: one that no queue takes comes back
 * as basic.return (always before its basic.ack), which fails the publish
 * instead of silently dropping a job.  The events exchange is the one
 * exception: an event nobody subscribed to is normal, not an error.
 */
#include <sys/time.h>

#include <stdlib.h>
#include <string.h>

#include "broker-int.h"
#include "clock.h"
#include "conf.h"
#include "log.h"
#include "xmalloc.h"

/* Remembers `tag` as unconfirmed; tags only grow, so the array stays
 * sorted. */
static void
broker_pending_add(struct broker *b, uint64_t tag)
{
	if (b->npending == b->szpending) {
		b->szpending = b->szpending == 0 ? 8 : b->szpending * 2;
		b->pending = xreallocarray(b->pending, b->szpending,
		    sizeof *b->pending);
	}
	b->pending[b->npending++] = tag;
}

static int
broker_pending_has(const struct broker *b, uint64_t tag)
{
	size_t	i;

	for (i = 0; i < b->npending; i++) {
		if (b->pending[i] == tag)
			return 1;
	}
	return 0;
}

/* Takes the broker's answer for `tag` (and every earlier tag when
 * `multiple`) off the pending list; `nack` marks a refusal. */
void
broker_confirmed(struct broker *b, uint64_t tag, int multiple, int nack)
{
	size_t	i, kept = 0;
	int	hit;

	for (i = 0; i < b->npending; i++) {
		hit = multiple ? b->pending[i] <= tag : b->pending[i] == tag;
		if (!hit) {
			b->pending[kept++] = b->pending[i];
			continue;
		}
		if (nack && b->pending[i] == b->wait_tag)
			b->nacked = 1;
		if (nack && b->pending[i] != b->wait_tag)
			log_warnx("%s: message %llu was nacked after its "
			    "publisher gave up on it", b->url,
			    (unsigned long long)b->pending[i]);
	}
	b->npending = kept;
}

/* Waits until the broker answered `tag`; 0 or -1 + *cause. */
static int
broker_confirm_wait(struct broker *b, uint64_t tag, char **cause)
{
	amqp_frame_t	 frame;
	struct timeval	 tv;
	int64_t		 deadline, left;
	int		 status;

	deadline = clock_mono_ms() + broker_bound(b, b->conf->confirm_timeout);
	while (broker_pending_has(b, tag)) {
		left = deadline - clock_mono_ms();
		if (left <= 0) {
			broker_lost(b, "no publisher confirm in time");
			*cause = xasprintf("no confirm within %lld ms (the "
			    "connection is presumed lost)",
			    (long long)b->conf->confirm_timeout);
			return -1;
		}
		status = amqp_simple_wait_frame_noblock(b->conn, &frame,
		    clock_timeval(&tv, left));
		if (status == AMQP_STATUS_TIMEOUT)
			continue;
		if (broker_status(b, status, "waiting for a confirm",
		    cause) != 0)
			return -1;
		if (broker_frame(b, &frame, cause) != 0)
			return -1;
	}
	return 0;
}

/*
 * Publishes `body` with the properties `props` (whose delivery mode,
 * content type and headers the caller set) and waits for its confirm.
 * `exchange` and `routing_key` as for broker_publish.
 */
int
broker_publish_props(struct broker *b, const char *exchange,
    const char *routing_key, amqp_basic_properties_t *props,
    const void *body, size_t len, char **cause)
{
	amqp_bytes_t	 bytes;
	char		*name, *what, *why;
	uint64_t	 tag;
	int		 mandatory, status, rc = -1;

	if (broker_ready(b, cause) != 0)
		return -1;
	if (!b->confirming) {
		broker_rpc_bound(b);
		amqp_confirm_select(b->conn, BROKER_CHANNEL);
		if (broker_reply(b, amqp_get_rpc_reply(b->conn),
		    "confirm.select", cause) != 0)
			return -1;
		b->confirming = 1;
		b->next_tag = 1;
	}
	name = *exchange == '\0' ? xstrdup("") : broker_name(b, exchange);
	what = xasprintf("publish to '%s' with key '%s'", name, routing_key);
	mandatory = strcmp(exchange, BROKER_EVENTS) != 0;

	tag = b->next_tag++;
	broker_pending_add(b, tag);
	b->wait_tag = tag;
	b->nacked = 0;
	free(b->returned);
	b->returned = NULL;
	bytes.len = len;
	bytes.bytes = (void *)(uintptr_t)body;
	status = amqp_basic_publish(b->conn, BROKER_CHANNEL,
	    amqp_cstring_bytes(name), amqp_cstring_bytes(routing_key),
	    mandatory, 0, props, bytes);
	if (broker_status(b, status, what, cause) != 0)
		goto out;
	if (broker_confirm_wait(b, tag, &why) != 0) {
		*cause = xasprintf("%s: %s", what, why);
		free(why);
		goto out;
	}
	if (b->returned != NULL) {
		*cause = xasprintf("%s: %s", what, b->returned);
		goto out;
	}
	if (b->nacked) {
		*cause = xasprintf("%s: refused by the broker (nack)", what);
		goto out;
	}
	rc = 0;
out:
	amqp_maybe_release_buffers_on_channel(b->conn, BROKER_CHANNEL);
	free(what);
	free(name);
	return rc;
}

int
broker_publish(struct broker *b, const char *exchange,
    const char *routing_key, const void *body, size_t len,
    const char *content_type, int persistent, char **cause)
{
	amqp_basic_properties_t	props;

	memset(&props, 0, sizeof props);
	props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
	props.delivery_mode = persistent ? AMQP_DELIVERY_PERSISTENT :
	    AMQP_DELIVERY_NONPERSISTENT;
	if (content_type != NULL) {
		props._flags |= AMQP_BASIC_CONTENT_TYPE_FLAG;
		props.content_type = amqp_cstring_bytes(content_type);
	}
	return broker_publish_props(b, exchange, routing_key, &props, body,
	    len, cause);
}
