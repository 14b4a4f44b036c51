/*
 * storage.c — the commands storage.check (read-only) and storage.repair
 * (admin): one reconciliation of S3 against PostgreSQL (storage.h of the
 * worker, whose files pfo3-ctld links).
 *
 * A run lists the bucket and HEADs rows: it may take seconds, so it runs
 * on a thread of its own with its own PostgreSQL and S3 connections, and
 * the event thread polls for its end and answers then.  One run at a
 * time; a client that leaves meanwhile does not stop the run (a repair
 * half done would only be finished by the next).
 *
 * Arguments, in any order: AGE, a duration replacing storage.stale_after
 * for this run ("0s" looks at every reservation, in flight or not: only
 * for a quiet system), and for storage.repair the word "strangers", which
 * also deletes objects under pfo3's prefixes that pfo3 never reserved.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "conf.h"
#include "ctl.h"
#include "ctld.h"
#include "db.h"
#include "log.h"
#include "s3.h"
#include "storage.h"
#include "thread.h"
#include "xmalloc.h"

#define STORAGE_POLL_MS	50

struct storage_run {
	struct ctld		*ctld;
	struct ctl_call		*call;		/* NULL once the client left */
	struct storage_opts	 o;
	struct event		*poll;
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	int			 done;		/* under lock */
	json_t			*reply;		/* under lock */
	char			*cause;		/* under lock */
};

/* Event thread only: one run at a time. */
static struct storage_run *storage_current;

static void *
storage_main(void *arg)
{
	struct storage_run	*r = arg;
	struct s3		*s3;
	json_t			*rep = NULL;
	char			*cause = NULL;

	if ((s3 = s3_new(&r->ctld->conf.s3, &cause)) != NULL) {
		rep = storage_scan(&r->ctld->conf.postgres, s3, &r->o, &cause);
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
storage_closed(struct ctl_call *call, void *arg)
{
	struct storage_run	*r = arg;

	ctl_call_reply(call, NULL);
	r->call = NULL;
}

static void
storage_poll(evutil_socket_t fd, short what, void *arg)
{
	struct storage_run	*r = arg;
	int			 done;

	pthread_mutex_lock(&r->lock);
	done = r->done;
	pthread_mutex_unlock(&r->lock);
	if (!done)
		return;
	pthread_join(r->thread, NULL);
	if (r->reply != NULL && r->o.repair)
		journal_add(&r->ctld->journal, "storage.repair: %lld repaired",
		    (long long)json_integer_value(json_object_get(r->reply,
		    "repaired")));
	if (r->call != NULL) {
		if (r->reply != NULL) {
			ctl_call_reply(r->call, r->reply);
			r->reply = NULL;
		} else
			ctl_call_fail(r->call, "storage: %s", r->cause);
	}
	json_decref(r->reply);
	free(r->cause);
	event_free(r->poll);
	pthread_mutex_destroy(&r->lock);
	free(r);
	storage_current = NULL;
}

/* Reads AGE and "strangers" from the call's arguments. */
static int
storage_args(struct ctl_call *call, struct storage_opts *o, int repair)
{
	const char	*arg;
	char		*cause = NULL;
	int		 i;

	for (i = 0; i < ctl_call_nargs(call); i++) {
		arg = ctl_call_arg(call, i);
		if (repair && strcmp(arg, "strangers") == 0) {
			o->strangers = 1;
			continue;
		}
		if (conf_parse_duration(arg, &o->stale_after_ms, &cause) == -1) {
			ctl_call_fail(call, "%s: '%s' is not a duration (AGE, "
			    "such as 1h or 0s)%s", ctl_call_command(call)->name,
			    arg, repair ? " nor \"strangers\"" : "");
			free(cause);
			return -1;
		}
	}
	return 0;
}

static void
storage_start(struct ctl_call *call, int repair)
{
	struct ctld		*c = ctl_call_ctx(call);
	struct storage_run	*r;
	struct timeval		 tv = { 0, STORAGE_POLL_MS * 1000 };
	char			*why;

	if (storage_current != NULL) {
		ctl_call_fail(call, "%s: a storage run is under way",
		    ctl_call_command(call)->name);
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->ctld = c;
	r->call = call;
	r->o.stale_after_ms = c->conf.storage.stale_after;
	r->o.repair = repair;
	r->o.deep = 1;
	if (storage_args(call, &r->o, repair) == -1) {
		free(r);
		return;
	}
	/* The poll event first: once the thread runs, nothing may fail. */
	r->poll = event_new(c->base, -1, EV_PERSIST, storage_poll, r);
	if (r->poll == NULL) {
		ctl_call_fail(call, "storage: event_new failed");
		free(r);
		return;
	}
	pthread_mutex_init(&r->lock, NULL);
	if (thread_start(&r->thread, "storage", 0, storage_main, r,
	    &why) != 0) {
		ctl_call_fail(call, "%s", why);
		free(why);
		event_free(r->poll);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return;
	}
	storage_current = r;
	ctl_call_on_close(call, storage_closed, r);
	event_add(r->poll, &tv);
}

void
storage_check(struct ctl_call *call)
{
	storage_start(call, 0);
}

void
storage_repair(struct ctl_call *call)
{
	storage_start(call, 1);
}
