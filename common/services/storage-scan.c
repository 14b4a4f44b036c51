/*
 * storage-scan.c — the reconciler: compares s3_objects and the rows that
 * name objects with the bucket, and repairs what differs (storage.h).
 *
 * A reservation younger than storage.stale_after is an upload in flight
 * and is never touched; the bound must therefore exceed the longest
 * upload (body deadline and S3 timeouts).  An orphan is deleted inside a
 * transaction that holds its reservation locked, so a row committing at
 * that moment waits for the decision.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"
#include "s3.h"
#include "storage.h"
#include "storage-scan-int.h"
#include "xmalloc.h"

const struct scan_prefix scan_prefixes[SCAN_NPREFIXES] = {
	{ "files/", STORAGE_FILE },
	{ "thumbnails/", STORAGE_THUMBNAIL },
	{ "reports/", STORAGE_REPORT },
};

/*
 * Records a failure.  One S3 failure ends the run: a slow or frozen S3
 * would otherwise hold the thread for s3.timeout per key (the next run
 * starts over).
 */
void
scan_s3_error(struct scan *s, const char *what, char *cause)
{
	s->halted = 1;
	log_warnx("storage: %s: %s", what, cause);
	json_array_append_new(s->errors, json_sprintf("%s: %s (run stopped)",
	    what, cause));
	free(cause);
}

void
scan_error(struct scan *s, const char *what, char *cause)
{
	log_warnx("storage: %s: %s", what, cause);
	json_array_append_new(s->errors, json_sprintf("%s: %s", what, cause));
	free(cause);
}

/* Runs one statement; NULL after recording the error. */
PGresult *
scan_sql(struct scan *s, const char *sql, int n, const char *const *p)
{
	PGresult	*res;
	char		*cause = NULL;

	if ((res = db_exec(s->pg, sql, n, p, &cause)) == NULL)
		scan_error(s, "database", cause);
	return res;
}

static int
scan_sql_ok(struct scan *s, const char *sql, int n, const char *const *p)
{
	PGresult	*res;

	if ((res = scan_sql(s, sql, n, p)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

const char *
scan_kind(const char *key)
{
	size_t	i;

	for (i = 0; i < SCAN_NPREFIXES; i++)
		if (strncmp(key, scan_prefixes[i].prefix,
		    strlen(scan_prefixes[i].prefix)) == 0)
			return scan_prefixes[i].kind;
	return "unknown";
}

/*
 * Opens a transaction holding `key`'s reservation locked if it is still
 * stale and unlinked: a row committing meanwhile waits for the decision
 * (and finds no reservation if the object went).  1 held, 0 not (the
 * transaction is then over), -1 on error.
 */
static int
scan_lock(struct scan *s, const char *key, const char *bound, json_t *entry)
{
	const char	*params[2] = { key, bound };
	PGresult	*res;
	int		 held;

	if (scan_sql_ok(s, "BEGIN", 0, NULL) != 0)
		return -1;
	res = scan_sql(s, "SELECT 1 FROM s3_objects WHERE key = $1 AND "
	    "state = 'reserved' AND reserved_at < now() - $2::bigint * "
	    "interval '1 millisecond' FOR UPDATE", 2, params);
	if (res == NULL) {
		db_release();
		return -1;
	}
	held = PQntuples(res) == 1;
	PQclear(res);
	if (!held) {
		/* Its row committed since: not an orphan any more. */
		json_object_set_new(entry, "linked_meanwhile", json_true());
		db_release();
	}
	return held;
}

/* Ends scan_lock's transaction: COMMIT when `ok`, else a rollback. */
static int
scan_unlock(struct scan *s, int ok)
{
	int	rv = -1;

	if (ok)
		rv = scan_sql_ok(s, "COMMIT", 0, NULL);
	db_release();	/* rolls back whatever is left open */
	return rv;
}

/*
 * Frees a recorded upload and forgets its id.  When the key holds an
 * object, the upload was completed after all (our side gave up waiting):
 * an abort can only answer that it is gone, and a completion would write
 * to a finished upload, so a refused abort counts as done.  Otherwise:
 * abort, or complete and delete where abort is refused (only on a key
 * still reserved, whose object is worthless).  `entry` says how.
 */
static void
scan_free_upload(struct scan *s, const char *key, const char *upload_id,
    const char *bound, int has_object, json_t *entry)
{
	const char	*params[2] = { key, upload_id }, *how = "completed";
	char		*cause = NULL;
	int		 ok, rv;

	if (scan_lock(s, key, bound, entry) != 1)
		return;
	if (has_object) {
		if ((rv = s3_mpu_abort(s->s3, key, upload_id, &cause)) == 0)
			how = "abort";
		else if (rv == S3_REFUSED) {
			free(cause);
			cause = NULL;
			rv = 0;
		}
	} else
		rv = s3_mpu_discard(s->s3, key, upload_id, &how, &cause);
	/* Not a reason to stop the run: an upload S3 cannot free (its
	 * own fault) must not keep every later one waiting; a dead S3
	 * stops the run at the next HEAD. */
	if (rv != 0) {
		scan_error(s, key, cause);
		scan_unlock(s, 0);
		return;
	}
	json_object_set_new(entry, "freed", json_string(how));
	ok = scan_sql_ok(s, "UPDATE s3_objects SET upload_id = NULL WHERE "
	    "key = $1 AND upload_id = $2", 2, params) == 0;
	if (scan_unlock(s, ok) == 0)
		s->repaired++;
}

/* Deletes the orphan `key` under scan_lock. */
static void
scan_delete_orphan(struct scan *s, const char *key, const char *bound,
    json_t *entry)
{
	const char	*params[1] = { key };
	char		*cause = NULL;
	int		 ok;

	if (scan_lock(s, key, bound, entry) != 1)
		return;
	if (s3_delete(s->s3, key, &cause) != 0) {
		scan_s3_error(s, key, cause);
		scan_unlock(s, 0);
		return;
	}
	ok = scan_sql_ok(s, "DELETE FROM s3_objects WHERE key = $1", 1,
	    params) == 0;
	if (scan_unlock(s, ok) == 0) {
		json_object_set_new(entry, "deleted", json_true());
		s->repaired++;
	}
}

/* Reservations older than the bound whose row never committed. */
static int
scan_reserved(struct scan *s)
{
	char		 bound[32];
	const char	*params[2] = { bound, NULL }, *key, *uid;
	PGresult	*res, *del;
	json_t		*e;
	char		*cause = NULL;
	int		 i, rv;

	snprintf(bound, sizeof bound, "%" PRId64, s->o->stale_after_ms);
	res = scan_sql(s, "SELECT key, kind, upload_id, extract(epoch FROM "
	    "now() - reserved_at)::bigint FROM s3_objects WHERE state = "
	    "'reserved' AND reserved_at < now() - $1::bigint * "
	    "interval '1 millisecond' ORDER BY reserved_at LIMIT "
	    SCAN_MAX, 1, params);
	if (res == NULL)
		return -1;
	for (i = 0; i < PQntuples(res) && !s->halted; i++) {
		key = PQgetvalue(res, i, 0);
		uid = PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2);
		if ((rv = s3_head(s->s3, key, &cause)) == -1) {
			scan_s3_error(s, key, cause);
			cause = NULL;
			continue;
		}
		free(cause);
		cause = NULL;
		if (uid != NULL) {
			e = json_pack("{s:s,s:s,s:s,s:I,s:b}", "key", key,
			    "kind", PQgetvalue(res, i, 1), "upload_id", uid,
			    "age_s", (json_int_t)strtoll(PQgetvalue(res, i, 3),
			    NULL, 10), "recorded", 1);
			json_array_append_new(s->mpu, e);
			if (s->o->repair)
				scan_free_upload(s, key, uid, bound, rv == 0, e);
		}
		if (rv == 0) {
			e = json_pack("{s:s,s:s,s:I,s:b}", "key", key, "kind",
			    PQgetvalue(res, i, 1), "age_s",
			    (json_int_t)strtoll(PQgetvalue(res, i, 3), NULL,
			    10), "reserved", 1);
			json_array_append_new(s->orphans, e);
			if (s->o->repair)
				scan_delete_orphan(s, key, bound, e);
			continue;
		}
		/* No object: the reservation alone is left, nothing leaked.
		 * An upload not freed keeps it for the next run. */
		params[1] = key;
		params[0] = bound;
		if (!s->o->repair || (del = scan_sql(s, "DELETE FROM s3_objects "
		    "WHERE key = $2 AND state = 'reserved' AND upload_id IS "
		    "NULL AND reserved_at < now() - $1::bigint * "
		    "interval '1 millisecond'", 2, params)) == NULL)
			continue;
		/* A reservation whose upload is still recorded stays: only
		 * what the DELETE removed counts as dropped. */
		s->dropped += strtol(PQcmdTuples(del), NULL, 10);
		PQclear(del);
	}
	PQclear(res);
	return 0;
}

/* 1 when `key` exists, 0 not, -1 unknown (recorded). */
static int
scan_exists(struct scan *s, const char *key)
{
	struct scan_item	 probe;
	char			*cause = NULL;
	int			 rv;

	probe.key = (char *)key;
	if (s->listed && bsearch(&probe, s->objects.v, s->objects.n,
	    sizeof *s->objects.v, scan_item_cmp) != NULL)
		return 1;
	/* Not listed (or no listing): HEAD says for sure, and spares an
	 * object written since the listing. */
	if ((rv = s3_head(s->s3, key, &cause)) == 0)
		return 1;
	if (rv == S3_NOTFOUND) {
		free(cause);
		return 0;
	}
	scan_s3_error(s, key, cause);
	return -1;
}

/* Repairs a row whose object is gone (storage.h says how). */
static void
scan_repair_row(struct scan *s, const char *kind, const char *id,
    const char *key, json_t *entry)
{
	const char	*params[2] = { id, key };
	PGresult	*res;
	char		*cause = NULL;
	int		 i, ok = 0;

	if (strcmp(kind, STORAGE_FILE) == 0) {
		/* Its thumbnails' objects first, then the row (and theirs). */
		res = scan_sql(s, "SELECT s3_key FROM thumbnails WHERE "
		    "file_id = $1::bigint", 1, params);
		if (res == NULL)
			return;
		for (i = 0; i < PQntuples(res); i++) {
			if (s3_delete(s->s3, PQgetvalue(res, i, 0),
			    &cause) != 0) {
				scan_s3_error(s, PQgetvalue(res, i, 0), cause);
				PQclear(res);
				return;
			}
		}
		PQclear(res);
		ok = scan_sql_ok(s, "DELETE FROM files WHERE id = $1::bigint "
		    "AND s3_key = $2", 2, params) == 0;
		json_object_set_new(entry, "repair", json_string("row "
		    "deleted"));
	} else if (strcmp(kind, STORAGE_THUMBNAIL) == 0) {
		ok = scan_sql_ok(s, "WITH d AS (DELETE FROM thumbnails WHERE "
		    "s3_key = $2 RETURNING file_id) INSERT INTO jobs (type, "
		    "user_id, payload) SELECT DISTINCT 'thumbnail', f.owner_id, "
		    "jsonb_build_object('file_id', f.id) FROM files f JOIN d ON "
		    "f.id = d.file_id WHERE f.id = $1::bigint AND NOT EXISTS "
		    "(SELECT 1 FROM jobs j WHERE j.type = 'thumbnail' AND "
		    "j.status IN ('queued', 'running') AND j.payload->>'file_id'"
		    " = f.id::text)", 2, params) == 0;
		json_object_set_new(entry, "repair", json_string("row "
		    "deleted, thumbnail job queued"));
	} else {
		ok = scan_sql_ok(s, "UPDATE jobs SET result = (result - "
		    "'s3_key') || '{\"pdf_lost\": true}' WHERE id = $1::bigint "
		    "AND result->>'s3_key' = $2", 2, params) == 0;
		json_object_set_new(entry, "repair", json_string("link "
		    "removed from the job"));
	}
	if (ok)
		s->repaired++;
}

/* Rows that name an object the bucket does not have. */
static void
scan_rows(struct scan *s)
{
	PGresult	*res;
	json_t		*e;
	const char	*kind, *id, *key;
	int		 i;

	res = scan_sql(s, "SELECT 'file', id, s3_key FROM files UNION ALL "
	    "SELECT 'thumbnail', file_id, s3_key FROM thumbnails UNION ALL "
	    "SELECT 'report', id, result->>'s3_key' FROM jobs WHERE type = "
	    "'report' AND result->>'s3_key' IS NOT NULL", 0, NULL);
	if (res == NULL)
		return;
	for (i = 0; i < PQntuples(res) && !s->halted; i++) {
		kind = PQgetvalue(res, i, 0);
		id = PQgetvalue(res, i, 1);
		key = PQgetvalue(res, i, 2);
		if (scan_exists(s, key) != 0)
			continue;
		e = json_pack("{s:s,s:s,s:I}", "key", key, "kind", kind,
		    strcmp(kind, "report") == 0 ? "job_id" : "file_id",
		    (json_int_t)strtoll(id, NULL, 10));
		json_array_append_new(s->rows, e);
		if (s->o->repair)
			scan_repair_row(s, kind, id, key, e);
	}
	PQclear(res);
}

json_t *
storage_scan(const struct conf_postgres *pg, struct s3 *s3,
    const struct storage_opts *o, char **cause)
{
	struct scan	 s;

	memset(&s, 0, sizeof s);
	s.pg = pg;
	s.s3 = s3;
	s.o = o;
	s.orphans = json_array();
	s.rows = json_array();
	s.mpu = json_array();
	s.errors = json_array();
	s.reply = json_object();
	if (scan_reserved(&s) != 0) {
		*cause = xstrdup(json_string_value(json_array_get(s.errors,
		    json_array_size(s.errors) - 1)));
		json_decref(s.orphans);
		json_decref(s.rows);
		json_decref(s.mpu);
		json_decref(s.errors);
		json_decref(s.reply);
		return NULL;
	}
	if (o->deep && !s.halted) {
		scan_list_objects(&s);
		if (s.listed)
			scan_strangers(&s);
		if (!s.halted)
			scan_rows(&s);
		if (!s.halted)
			scan_uploads(&s);
	}
	scan_list_free(&s.objects);
	json_object_set_new(s.reply, "objects_without_row", s.orphans);
	json_object_set_new(s.reply, "rows_without_object", s.rows);
	json_object_set_new(s.reply, "stale_multipart", s.mpu);
	json_object_set_new(s.reply, "repaired", json_integer(s.repaired));
	json_object_set_new(s.reply, "reservations_dropped",
	    json_integer(s.dropped));
	json_object_set_new(s.reply, "stale_after_ms",
	    json_integer(o->stale_after_ms));
	json_object_set_new(s.reply, "repair", json_boolean(o->repair));
	json_object_set_new(s.reply, "errors", s.errors);
	return s.reply;
}
