/*
 * broker-keep.c — a connection one thread keeps open (see broker.h):
 * made on demand, set up (topology, subscriptions), and after a failure
 * made again no sooner than a backoff with jitter, so that every worker
 * that lost the broker at the same moment does not come back at once.
 * An outage is logged once when it starts and once when it ends.
 */
#include <stdlib.h>

#include "backoff.h"
#include "broker.h"
#include "clock.h"
#include "log.h"
#include "xmalloc.h"

#define BROKER_KEEP_MIN_MS	500
#define BROKER_KEEP_MAX_MS	10000

struct broker_keep {
	const struct conf_amqp	*conf;
	char			*name;
	broker_setup_fn		 setup;
	void			*arg;
	struct broker		*b;
	struct backoff		 backoff;
	int64_t			 retry_at;
	int			 failing;
};

struct broker_keep *
broker_keep_new(const struct conf_amqp *conf, const char *client_name,
    broker_setup_fn setup, void *arg)
{
	struct broker_keep	*k;

	k = xcalloc(1, sizeof *k);
	k->conf = conf;
	k->name = xstrdup(client_name);
	k->setup = setup;
	k->arg = arg;
	backoff_init(&k->backoff, BROKER_KEEP_MIN_MS, BROKER_KEEP_MAX_MS);
	return k;
}

void
broker_keep_free(struct broker_keep *k)
{
	if (k == NULL)
		return;
	broker_free(k->b);
	free(k->name);
	free(k);
}

/* Connects and sets up; NULL + *cause. */
static struct broker *
broker_keep_open(struct broker_keep *k, char **cause)
{
	struct broker	*b;

	if ((b = broker_connect(k->conf, k->name, cause)) == NULL)
		return NULL;
	/* The exchanges may not exist yet on a fresh broker. */
	if (broker_declare_topology(b, cause) != 0 ||
	    (k->setup != NULL && k->setup(b, k->arg, cause) != 0)) {
		broker_free(b);
		return NULL;
	}
	return b;
}

struct broker *
broker_keep_get(struct broker_keep *k)
{
	char	*cause = NULL;

	if (k->b != NULL && !broker_alive(k->b))
		broker_keep_failed(k, "connection lost");
	if (k->b != NULL)
		return k->b;
	if (clock_mono_ms() < k->retry_at)
		return NULL;
	if ((k->b = broker_keep_open(k, &cause)) == NULL) {
		broker_keep_failed(k, cause);
		free(cause);
		return NULL;
	}
	if (k->failing)
		log_info("%s: connected again", k->name);
	k->failing = 0;
	backoff_reset(&k->backoff);
	return k->b;
}

void
broker_keep_failed(struct broker_keep *k, const char *cause)
{
	if (!k->failing)
		log_warnx("%s: %s", k->name, cause);
	k->failing = 1;
	broker_free(k->b);
	k->b = NULL;
	k->retry_at = clock_mono_ms() + backoff_next(&k->backoff);
}

int
broker_keep_up(const struct broker_keep *k)
{
	return k->b != NULL && broker_alive(k->b);
}
