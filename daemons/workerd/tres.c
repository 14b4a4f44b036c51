/* tres.c — see tres.h. */
#include <pthread.h>
#include <stdlib.h>

#include "broker.h"
#include "clock.h"
#include "db.h"
#include "s3.h"
#include "tres.h"
#include "workerd.h"
#include "xmalloc.h"

struct tres {
	struct s3	*s3;
	struct broker	*broker;
};

static pthread_key_t tres_key;
static pthread_once_t tres_once = PTHREAD_ONCE_INIT;

/* Runs when a thread that used resources exits. */
static void
tres_destroy(void *arg)
{
	struct tres *t = arg;

	s3_free(t->s3);
	if (t->broker != NULL)
		broker_free(t->broker);
	free(t);
}

static void
tres_init(void)
{
	pthread_key_create(&tres_key, tres_destroy);
}

static struct tres *
tres_get(void)
{
	struct tres *t;

	pthread_once(&tres_once, tres_init);
	if ((t = pthread_getspecific(tres_key)) == NULL) {
		t = xcalloc(1, sizeof *t);
		pthread_setspecific(tres_key, t);
	}
	return t;
}

PGresult *
tres_db_exec(struct workerd *w, const char *sql, int nparams,
    const char *const *params, char **cause)
{
	return db_exec(&w->conf.postgres, sql, nparams, params, cause);
}

PGresult *
tres_db_exec_retry(struct workerd *w, const char *sql, int nparams,
    const char *const *params, char **cause)
{
	return db_exec_retry(&w->conf.postgres, sql, nparams, params, cause);
}

const struct conf_postgres *
tres_pg(struct workerd *w)
{
	return &w->conf.postgres;
}

struct s3 *
tres_s3(struct workerd *w, char **cause)
{
	struct tres *t = tres_get();

	if (t->s3 == NULL)
		t->s3 = s3_new(&w->conf.s3, cause);
	return t->s3;
}

/* A failed publish is tried once more on a new connection only if it
 * failed this fast: a closed idle connection, not a hung broker. */
#define TRES_RETRY_WITHIN_MS	1000

/* The thread's broker connection, replaced when found dead. */
static struct broker *
tres_broker(struct workerd *w, int64_t deadline, char **cause)
{
	struct tres *t = tres_get();

	if (t->broker != NULL && !broker_alive(t->broker)) {
		broker_free(t->broker);
		t->broker = NULL;
	}
	if (t->broker == NULL)
		t->broker = broker_connect_until(&w->conf.amqp,
		    w->conf.worker.id, deadline, cause);
	return t->broker;
}

int
tres_publish(struct workerd *w, const char *exchange, const char *routing_key,
    const void *body, size_t len, char **cause)
{
	struct broker *b;
	int64_t start = clock_mono_ms(), deadline;
	int attempt, rc;

	/*
	 * A publish made for a client's request waits amqp.confirm_timeout
	 * in all, a new connection included: a broker that accepts TCP but
	 * is frozen would otherwise hold the request for the connect,
	 * handshake, login and channel timeouts in turn.  The row is the
	 * outbox; what is not confirmed in time the sweeper publishes.
	 */
	deadline = start + w->conf.amqp.confirm_timeout;
	for (attempt = 0; attempt < 2; attempt++) {
		if (attempt > 0) {
			free(*cause);
			*cause = NULL;
		}
		if ((b = tres_broker(w, deadline, cause)) == NULL)
			continue;
		broker_set_deadline(b, deadline);
		rc = broker_publish(b, exchange, routing_key, body, len,
		    "application/json", 1, cause);
		broker_set_deadline(b, 0);
		if (rc == 0)
			return 0;
		if (broker_alive(b))
			return -1;	/* refused by the broker: do not repeat */
		/*
		 * A connection the broker closed while it was idle fails at
		 * once, and a new one is worth a try.  One that took long
		 * (no confirm: a hung broker) would only make the caller wait
		 * a handshake more; the outbox publishes it later.
		 */
		if (clock_mono_ms() - start >= TRES_RETRY_WITHIN_MS)
			return -1;
	}
	return -1;
}
