/*
 * storage.c — the commands storage.check (read-only) and storage.repair
 * (admin): one reconciliation of S3 against PostgreSQL, run by
 * pfo3-ctld-deps (depsd-storage.c), which holds the clients; the event
 * thread answers when its answer comes back.
 *
 * One run at a time; a client that leaves meanwhile does not stop the run
 * (a repair half done would only be finished by the next).
 *
 * Arguments, in any order: AGE, a duration replacing storage.stale_after
 * for this run ("0s" looks at every reservation, in flight or not: only
 * for a quiet system), and for storage.repair the word "strangers", which
 * also deletes objects under pfo3's prefixes that pfo3 never reserved.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf.h"
#include "ctl.h"
#include "ctld.h"
#include "depslink.h"
#include "log.h"
#include "xmalloc.h"

struct storage_run {
	struct ctld		*ctld;
	struct ctl_call		*call;		/* NULL once the client left */
	int			 repair;
};

/* Event thread only: one run at a time. */
static struct storage_run *storage_current;

static void
storage_closed(struct ctl_call *call, void *arg)
{
	struct storage_run	*r = arg;

	ctl_call_reply(call, NULL);
	r->call = NULL;
}

/* The answer of pfo3-ctld-deps: `reply` (stolen) or `error`. */
static void
storage_done(json_t *reply, const char *error, void *arg)
{
	struct storage_run	*r = arg;

	if (reply != NULL && r->repair)
		journal_add(&r->ctld->journal, "storage.repair: %lld repaired",
		    (long long)json_integer_value(json_object_get(reply,
		    "repaired")));
	if (r->call != NULL) {
		if (reply != NULL) {
			ctl_call_reply(r->call, reply);
			reply = NULL;
		} else
			ctl_call_fail(r->call, "storage: %s",
			    error != NULL ? error : "failed");
	}
	json_decref(reply);
	free(r);
	storage_current = NULL;
}

/* Reads AGE and "strangers" from the call's arguments into `req`. */
static int
storage_args(struct ctl_call *call, json_t *req, int repair)
{
	const char	*arg;
	char		*cause = NULL;
	int64_t		 age;
	int		 i;

	for (i = 0; i < ctl_call_nargs(call); i++) {
		arg = ctl_call_arg(call, i);
		if (repair && strcmp(arg, "strangers") == 0) {
			json_object_set_new(req, "strangers", json_true());
			continue;
		}
		if (conf_parse_duration(arg, &age, &cause) == -1) {
			ctl_call_fail(call, "%s: '%s' is not a duration (AGE, "
			    "such as 1h or 0s)%s", ctl_call_command(call)->name,
			    arg, repair ? " nor \"strangers\"" : "");
			free(cause);
			return -1;
		}
		json_object_set_new(req, "stale_after_ms", json_integer(age));
	}
	return 0;
}

static void
storage_start(struct ctl_call *call, int repair)
{
	struct ctld		*c = ctl_call_ctx(call);
	struct storage_run	*r;
	json_t			*req;
	char			*why;

	if (storage_current != NULL) {
		ctl_call_fail(call, "%s: a storage run is under way",
		    ctl_call_command(call)->name);
		return;
	}
	req = json_pack("{s:b,s:b,s:I}", "repair", repair, "strangers", 0,
	    "stale_after_ms", (json_int_t)c->conf.storage.stale_after);
	if (storage_args(call, req, repair) == -1) {
		json_decref(req);
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->ctld = c;
	r->call = call;
	r->repair = repair;
	if (depslink_storage(c->deps, json_pack("{s:o}", "storage", req),
	    storage_done, r, &why) == -1) {
		ctl_call_fail(call, "storage: %s", why);
		free(why);
		free(r);
		return;
	}
	storage_current = r;
	ctl_call_on_close(call, storage_closed, r);
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
