/*
 * depsd-storage.c — pfo3-ctld-deps's storage runs (storage.check and
 * storage.repair of pfo3-ctld, storage.c): one reconciliation of S3
 * against PostgreSQL (storage.h of the services).
 *
 * A run lists the bucket and HEADs rows: it may take seconds, so it runs
 * on a thread of its own with its own PostgreSQL and S3 connections while
 * the event thread goes on reporting, and a timer polls for its end.
 */
#include <pthread.h>
#include <stdlib.h>

#include <event2/event.h>
#include <jansson.h>

#include "conf.h"
#include "ctl.h"
#include "db.h"
#include "depsd.h"
#include "log.h"
#include "s3.h"
#include "storage.h"
#include "thread.h"
#include "xmalloc.h"

#define DEPSD_STORAGE_POLL_MS	50

struct depsd_storage {
	struct depsd_storage	**slot;
	const struct pfo3_conf	*conf;
	struct bufferevent	*link;
	struct storage_opts	 o;
	struct event		*poll;
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	int			 done;		/* under lock */
	json_t			*reply;		/* under lock */
	char			*cause;		/* under lock */
};

static void *
depsd_storage_main(void *arg)
{
	struct depsd_storage	*r = arg;
	struct s3		*s3;
	json_t			*rep = NULL;
	char			*cause = NULL;

	if ((s3 = s3_new(&r->conf->s3, &cause)) != NULL) {
		rep = storage_scan(&r->conf->postgres, s3, &r->o, &cause);
		s3_free(s3);
	}
	db_close();
	pthread_mutex_lock(&r->lock);
	r->reply = rep;
	r->cause = cause;
	r->done = 1;
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void
depsd_storage_free(struct depsd_storage *r)
{
	*r->slot = NULL;
	json_decref(r->reply);
	free(r->cause);
	event_free(r->poll);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void
depsd_storage_poll(evutil_socket_t fd, short what, void *arg)
{
	struct depsd_storage	*r = arg;
	int			 done;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&r->lock);
	done = r->done;
	pthread_mutex_unlock(&r->lock);
	if (!done)
		return;
	pthread_join(r->thread, NULL);
	if (r->reply != NULL) {
		ctl_frame_send(r->link, json_pack("{s:{s:O}}", "storage", "reply",
		    r->reply));
	} else
		ctl_frame_send(r->link, json_pack("{s:{s:s}}", "storage", "error",
		    r->cause != NULL ? r->cause : "failed"));
	depsd_storage_free(r);
}

void
depsd_storage_start(struct depsd_storage **slot, const struct pfo3_conf *conf,
    const json_t *req, struct event_base *base, struct bufferevent *link)
{
	struct depsd_storage	*r;
	struct timeval		 tv = { 0, DEPSD_STORAGE_POLL_MS * 1000 };
	char			*why = NULL;

	r = xcalloc(1, sizeof *r);
	r->slot = slot;
	r->conf = conf;
	r->link = link;
	r->o.stale_after_ms = json_integer_value(json_object_get(req,
	    "stale_after_ms"));
	r->o.repair = json_is_true(json_object_get(req, "repair"));
	r->o.strangers = json_is_true(json_object_get(req, "strangers"));
	r->o.deep = 1;
	/* The poll event first: once the thread runs, nothing may fail. */
	if ((r->poll = event_new(base, -1, EV_PERSIST, depsd_storage_poll,
	    r)) == NULL) {
		ctl_frame_send(link, json_pack("{s:{s:s}}", "storage", "error",
		    "event_new failed"));
		free(r);
		return;
	}
	pthread_mutex_init(&r->lock, NULL);
	if (thread_start(&r->thread, "storage", 0, depsd_storage_main, r,
	    &why) != 0) {
		ctl_frame_send(link, json_pack("{s:{s:s}}", "storage", "error",
		    why));
		free(why);
		*slot = r;
		depsd_storage_free(r);
		return;
	}
	*slot = r;
	event_add(r->poll, &tv);
}

void
depsd_storage_end(struct depsd_storage **slot)
{
	if (*slot == NULL)
		return;
	pthread_join((*slot)->thread, NULL);
	depsd_storage_free(*slot);
}
