/* tres.c — see tres.h. */
#include <pthread.h>
#include <stdlib.h>

#include "broker.h"
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

struct s3 *
tres_s3(struct workerd *w, char **cause)
{
	struct tres *t = tres_get();

	if (t->s3 == NULL)
		t->s3 = s3_new(&w->conf.s3, cause);
	return t->s3;
}

/* The thread's broker connection, replaced when found dead. */
static struct broker *
tres_broker(struct workerd *w, char **cause)
{
	struct tres *t = tres_get();

	if (t->broker != NULL && !broker_alive(t->broker)) {
		broker_free(t->broker);
		t->broker = NULL;
	}
	if (t->broker == NULL)
		t->broker = broker_connect(&w->conf.amqp, w->conf.worker.id,
		    cause);
	return t->broker;
}

int
tres_publish(struct workerd *w, const char *exchange, const char *routing_key,
    const void *body, size_t len, char **cause)
{
	struct broker *b;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (attempt > 0) {
			free(*cause);
			*cause = NULL;
		}
		if ((b = tres_broker(w, cause)) == NULL)
			continue;
		if (broker_publish(b, exchange, routing_key, body, len,
		    "application/json", 1, cause) == 0)
			return 0;
		if (broker_alive(b))
			return -1;	/* refused by the broker: do not repeat */
	}
	return -1;
}
