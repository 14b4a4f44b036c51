/*
 * storage-tick.c — the workers' periodic reconciler (storage.h).
 *
 * The sweeper thread calls storage_tick() after each of its sweeps; every
 * storage.reconcile_interval one run repairs what storage_scan() finds
 * without listing the bucket: stale reservations and their uploads.
 * Every worker ticks, and a PostgreSQL advisory lock (session level, on
 * this thread's connection) lets one of them run at a time: the others
 * skip their turn.  The bucket's lifecycle rule is tried once per process.
 */
#include <stdlib.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "s3.h"
#include "storage.h"
#include "storage-tick.h"
#include "tres.h"
#include "workerd.h"

/* The bytes of "pfo3stor": no collision with another application's
 * small keys, nor with the migration's "pfo3migr". */
#define STORAGE_LOCK_KEY	"8099283246643441522"

/* Only the sweeper thread ticks: plain statics are enough. */
static int64_t	storage_last_ms;
static int	storage_lifecycle_done;

/* Sets the lifecycle rule once, where S3 has them. */
static void
storage_lifecycle(struct workerd *w, struct s3 *s3)
{
	char	*cause = NULL;
	int	 rv;

	if (storage_lifecycle_done || w->conf.storage.lifecycle_days == 0)
		return;
	rv = s3_lifecycle_abort(s3, (int)w->conf.storage.lifecycle_days,
	    &cause);
	if (rv == S3_REFUSED)
		log_info("storage: S3 has no lifecycle rules (%s): the "
		    "reconciler alone frees unfinished uploads", cause);
	else if (rv != 0) {
		log_warnx("storage: lifecycle rule: %s", cause);
		free(cause);
		return;		/* tried again next time */
	}
	free(cause);
	storage_lifecycle_done = 1;
}

/* Takes (1) or fails to take (0) the reconciler's lock; -1 on error. */
static int
storage_lock(struct workerd *w, const char *sql)
{
	PGresult	*res;
	char		*cause = NULL;
	int		 got;

	if ((res = tres_db_exec(w, sql, 0, NULL, &cause)) == NULL) {
		log_debug("storage: %s", cause);
		free(cause);
		return -1;
	}
	got = PQntuples(res) == 1 && *PQgetvalue(res, 0, 0) == 't';
	PQclear(res);
	return got;
}

void
storage_tick(struct workerd *w)
{
	struct storage_opts	 o = { 0 };
	struct s3		*s3;
	json_t			*rep;
	char			*cause = NULL, *text;
	int64_t			 now = clock_mono_ms();

	if (w->conf.storage.reconcile_interval == 0 ||
	    (storage_last_ms != 0 &&
	    now - storage_last_ms < w->conf.storage.reconcile_interval))
		return;
	storage_last_ms = now;
	if ((s3 = tres_s3(w, &cause)) == NULL) {
		log_debug("storage: %s", cause);
		free(cause);
		return;
	}
	storage_lifecycle(w, s3);
	if (storage_lock(w, "SELECT pg_try_advisory_lock("
	    STORAGE_LOCK_KEY ")") != 1)
		return;
	o.stale_after_ms = w->conf.storage.stale_after;
	o.repair = 1;
	if ((rep = storage_scan(tres_pg(w), s3, &o, &cause)) == NULL) {
		log_warnx("storage: reconciler: %s", cause);
		free(cause);
	} else {
		if (json_integer_value(json_object_get(rep, "repaired")) > 0 ||
		    json_array_size(json_object_get(rep, "errors")) > 0) {
			text = json_dumps(rep, JSON_COMPACT);
			log_info("storage: reconciled: %s", text);
			free(text);
		}
		json_decref(rep);
	}
	/* A lost connection took the lock with it; otherwise give it back. */
	(void)storage_lock(w, "SELECT pg_advisory_unlock(" STORAGE_LOCK_KEY
	    ")");
}
