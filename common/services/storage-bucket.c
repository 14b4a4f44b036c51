/*
 * storage-bucket.c — the reconciler's look at the bucket itself: the
 * objects under our prefixes (for keys never reserved, "strangers", and
 * for rows whose object is gone) and the multipart uploads S3 lists.
 * Listing is optional in S3 servers; without it only the ledger's own
 * record is reconciled (storage-scan.c).
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

/* s3_list_cb: keeps every object or upload listed. */
static int
scan_keep(const char *key, const char *upload_id, int64_t when, void *arg)
{
	struct scan_list	*l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 256 : l->cap * 2;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n].key = xstrdup(key);
	l->v[l->n].upload_id = upload_id != NULL ? xstrdup(upload_id) : NULL;
	l->v[l->n].when = when;
	l->n++;
	return 0;
}

void
scan_list_free(struct scan_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].upload_id);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

int
scan_item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct scan_item *)a)->key,
	    ((const struct scan_item *)b)->key);
}

/* `keys[from..from+n)` as a PostgreSQL array literal. */
static char *
scan_pg_array(const struct scan_list *l, size_t from, size_t n)
{
	size_t		 i, len = 3;
	const char	*k;
	char		*out, *p;

	for (i = from; i < from + n; i++)
		len += 2 * strlen(l->v[i].key) + 3;
	p = out = xmalloc(len);
	*p++ = '{';
	for (i = from; i < from + n; i++) {
		if (i > from)
			*p++ = ',';
		*p++ = '"';
		for (k = l->v[i].key; *k != '\0'; k++) {
			if (*k == '"' || *k == '\\')
				*p++ = '\\';
			*p++ = *k;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return out;
}

/* The age of a listed item in seconds, -1 unknown. */
static int64_t
scan_age(const struct scan_item *it)
{
	return it->when > 0 ? (int64_t)time(NULL) - it->when : -1;
}

/* Objects listed under our prefixes that were never reserved. */
void
scan_strangers(struct scan *s)
{
	const char	*params[1], *key;
	PGresult	*res;
	json_t		*e;
	struct scan_item probe, *it;
	char		*arr, *cause = NULL;
	size_t		 from, n;
	int		 i;
	int64_t		 age;

	for (from = 0; from < s->objects.n && !s->halted; from += n) {
		n = s->objects.n - from < SCAN_BATCH ? s->objects.n - from :
		    SCAN_BATCH;
		arr = scan_pg_array(&s->objects, from, n);
		params[0] = arr;
		res = scan_sql(s, "SELECT k FROM unnest($1::text[]) AS k WHERE "
		    "NOT EXISTS (SELECT 1 FROM s3_objects o WHERE o.key = k)",
		    1, params);
		free(arr);
		if (res == NULL)
			return;
		for (i = 0; i < PQntuples(res) && !s->halted; i++) {
			key = PQgetvalue(res, i, 0);
			probe.key = (char *)key;
			it = bsearch(&probe, s->objects.v, s->objects.n,
			    sizeof *s->objects.v, scan_item_cmp);
			age = it != NULL ? scan_age(it) : -1;
			/* A key is reserved before its PUT, so none of these
			 * is an upload of ours in flight; the bound still
			 * spares an object that has only just appeared. */
			if (age >= 0 && age * 1000 < s->o->stale_after_ms)
				continue;
			e = json_pack("{s:s,s:s,s:I,s:b}", "key", key, "kind",
			    scan_kind(key), "age_s", (json_int_t)age,
			    "reserved", 0);
			json_array_append_new(s->orphans, e);
			if (!s->o->repair || !s->o->strangers)
				continue;
			if (s3_delete(s->s3, key, &cause) != 0) {
				scan_s3_error(s, key, cause);
				cause = NULL;
				continue;
			}
			json_object_set_new(e, "deleted", json_true());
			s->repaired++;
		}
		PQclear(res);
	}
}

/* Lists every object under our prefixes into s->objects, sorted. */
void
scan_list_objects(struct scan *s)
{
	char	*cause = NULL;
	size_t	 i;

	s->listed = 1;
	for (i = 0; i < SCAN_NPREFIXES; i++) {
		if (s3_list(s->s3, scan_prefixes[i].prefix, scan_keep,
		    &s->objects, &cause) != 0) {
			scan_s3_error(s, "listing the bucket", cause);
			cause = NULL;
			s->listed = 0;
			break;
		}
	}
	json_object_set_new(s->reply, "listing", json_string(s->listed ?
	    "ListObjectsV2" : "failed (see errors)"));
	/* An empty bucket lists nothing: qsort may not take a NULL array. */
	if (s->objects.n > 0)
		qsort(s->objects.v, s->objects.n, sizeof *s->objects.v,
		    scan_item_cmp);
}

/* Uploads S3 lists under our prefixes that no reservation records. */
void
scan_uploads(struct scan *s)
{
	struct scan_list	 l = { 0 };
	const char		*params[2];
	PGresult		*res;
	json_t			*e;
	char			*cause = NULL;
	size_t			 i;
	int64_t			 age;
	int			 rv = 0;

	for (i = 0; i < SCAN_NPREFIXES && rv == 0; i++)
		rv = s3_list_uploads(s->s3, scan_prefixes[i].prefix, scan_keep,
		    &l, &cause);
	if (rv != 0) {
		json_object_set_new(s->reply, "upload_listing", json_sprintf(
		    "%s: %s", rv == S3_REFUSED ? "not supported" : "failed",
		    cause));
		free(cause);
		scan_list_free(&l);
		return;
	}
	json_object_set_new(s->reply, "upload_listing",
	    json_string("ListMultipartUploads"));
	for (i = 0; i < l.n && !s->halted; i++) {
		age = scan_age(&l.v[i]);
		if (age >= 0 && age * 1000 < s->o->stale_after_ms)
			continue;
		params[0] = l.v[i].key;
		params[1] = l.v[i].upload_id;
		if ((res = scan_sql(s, "SELECT 1 FROM s3_objects WHERE key = $1 "
		    "AND upload_id = $2", 2, params)) == NULL)
			continue;
		rv = PQntuples(res);
		PQclear(res);
		if (rv > 0)
			continue;	/* recorded: scan_reserved's */
		e = json_pack("{s:s,s:s,s:s,s:I,s:b}", "key", l.v[i].key,
		    "kind", scan_kind(l.v[i].key), "upload_id",
		    l.v[i].upload_id, "age_s", (json_int_t)age, "recorded", 0);
		json_array_append_new(s->mpu, e);
		/* Abort only: completing could replace a live object. */
		if (s->o->repair) {
			if (s3_mpu_abort(s->s3, l.v[i].key, l.v[i].upload_id,
			    &cause) != 0) {
				scan_s3_error(s, l.v[i].key, cause);
				cause = NULL;
				continue;
			}
			json_object_set_new(e, "freed", json_string("abort"));
			s->repaired++;
		}
	}
	scan_list_free(&l);
}
