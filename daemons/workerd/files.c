/* files.c — see files.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "files.h"
#include "job-types.h"
#include "log.h"
#include "respond.h"
#include "s3.h"
#include "tres.h"
#include "workerd.h"
#include "xmalloc.h"

/* Both sizes jobs-thumb.c makes (the CHECK of the thumbnails table). */
static const int files_thumb_sizes[] = { 128, 512 };

void
files_key(char *buf, size_t len, int64_t owner, int64_t id)
{
	snprintf(buf, len, "files/%" PRId64 "/%" PRId64, owner, id);
}

void
files_thumb_key(char *buf, size_t len, int64_t id, int size)
{
	snprintf(buf, len, "thumbnails/%" PRId64 "/%d.jpg", id, size);
}

void
files_unavailable(struct workerd *w, struct response *resp, const char *what)
{
	response_error(resp, 503, "%s unavailable", what);
	response_header(resp, "Retry-After: %lld",
	    (long long)w->conf.worker.retry_after);
}

void
files_row_from(const PGresult *res, int i, struct files_row *row)
{
	json_t	*thumbs;
	char	 url[64];

	row->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	row->size = strtoll(PQgetvalue(res, i, 1), NULL, 10);
	row->s3_key = xstrdup(PQgetvalue(res, i, 2));
	row->content_type = xstrdup(PQgetvalue(res, i, 3));
	row->sha256 = xstrdup(PQgetvalue(res, i, 4));
	if ((thumbs = json_loads(PQgetvalue(res, i, 7), 0, NULL)) == NULL)
		thumbs = json_array();
	snprintf(url, sizeof url, "/api/v1/files/%" PRId64 "/content", row->id);
	row->json = json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:o,s:s}",
	    "id", (json_int_t)row->id,
	    "name", PQgetvalue(res, i, 5),
	    "size", (json_int_t)row->size,
	    "content_type", row->content_type,
	    "sha256", row->sha256,
	    "created_at", PQgetvalue(res, i, 6),
	    "thumbnails", thumbs,
	    "content_url", url);
}

void
files_row_clear(struct files_row *row)
{
	free(row->s3_key);
	free(row->content_type);
	free(row->sha256);
	json_decref(row->json);
	memset(row, 0, sizeof *row);
}

int
files_load(struct workerd *w, int64_t id, int64_t owner,
    struct files_row *row, char **cause)
{
	char		 sid[32], sowner[32];
	const char	*params[2] = { sid, sowner };
	PGresult	*res;
	int		 found;

	memset(row, 0, sizeof *row);
	snprintf(sid, sizeof sid, "%" PRId64, id);
	snprintf(sowner, sizeof sowner, "%" PRId64, owner);
	res = tres_db_exec_retry(w, "SELECT " FILES_COLUMNS
	    " FROM files f WHERE f.id = $1::bigint AND f.owner_id = $2::bigint",
	    2, params, cause);
	if (res == NULL)
		return -1;
	if ((found = PQntuples(res) == 1))
		files_row_from(res, 0, row);
	PQclear(res);
	return found;
}

PGresult *
files_list(struct workerd *w, int64_t owner, int64_t before, int64_t limit,
    char **cause)
{
	char		 sowner[32], sbefore[32], slimit[32];
	const char	*params[3] = { sowner, sbefore, slimit };

	snprintf(sowner, sizeof sowner, "%" PRId64, owner);
	snprintf(sbefore, sizeof sbefore, "%" PRId64, before > 0 ? before :
	    INT64_MAX);
	snprintf(slimit, sizeof slimit, "%" PRId64, limit);
	/*
	 * owner_id = $1 AND id < $2, written as a range of the index
	 * files_owner_id (owner_id, id): the scan starts at the cursor and
	 * ends at the owner's oldest file.  With the equality, the planner
	 * may walk the primary key backwards for an owner of most rows, and
	 * a page near the end of his list then reads every older file of
	 * everyone else (measured: 5 ms instead of 0.1 for an owner of 10^5
	 * files above 37 000 of others).
	 */
	return tres_db_exec_retry(w, "SELECT " FILES_COLUMNS
	    " FROM files f WHERE f.owner_id >= $1::bigint AND"
	    " (f.owner_id, f.id) < ($1::bigint, $2::bigint)"
	    " ORDER BY f.owner_id DESC, f.id DESC LIMIT $3::bigint", 3,
	    params, cause);
}

int
files_new_id(struct workerd *w, int64_t *id, char **cause)
{
	PGresult	*res;

	res = tres_db_exec_retry(w, "SELECT nextval("
	    "pg_get_serial_sequence('files', 'id'))", 0, NULL, cause);
	if (res == NULL)
		return -1;
	*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

int
files_create(struct workerd *w, const struct files_new *f, int64_t *job,
    int64_t *old_photo, char **cause)
{
	char		 id[32], owner[32], size[32];
	const char	*params[11];
	PGresult	*res;

	snprintf(id, sizeof id, "%" PRId64, f->id);
	snprintf(owner, sizeof owner, "%" PRId64, f->owner);
	snprintf(size, sizeof size, "%" PRId64, f->size);
	params[0] = id;
	params[1] = owner;
	params[2] = f->s3_key;
	params[3] = size;
	params[4] = f->content_type;
	params[5] = f->sha256;
	params[6] = f->name;
	params[7] = f->thumbnail ? "true" : "false";
	params[8] = f->photo ? "true" : "false";
	params[9] = job_types[JOB_THUMBNAIL];
	params[10] = f->dedup_key;
	/* Every CTE sees the rows as they were: `old` is the photo before. */
	res = tres_db_exec(w,
	    "WITH f AS (INSERT INTO files (id, owner_id, s3_key, size, "
	    "content_type, sha256, original_name, dedup_key) VALUES "
	    "($1::bigint, $2::bigint, $3, $4::bigint, $5, $6, $7, $11) "
	    "RETURNING id, owner_id), "
	    "j AS (INSERT INTO jobs (type, user_id, payload) SELECT $10::text, "
	    "owner_id, jsonb_build_object('file_id', id) FROM f "
	    "WHERE $8::boolean RETURNING id), "
	    "old AS (SELECT photo_file_id FROM users WHERE id = $2::bigint "
	    "AND $9::boolean), "
	    "u AS (UPDATE users SET photo_file_id = (SELECT id FROM f) WHERE "
	    "id = $2::bigint AND $9::boolean RETURNING id) "
	    "SELECT coalesce((SELECT id FROM j), 0), coalesce((SELECT "
	    "photo_file_id FROM old), 0), (SELECT count(*) FROM u)",
	    11, params, cause);
	if (res == NULL)
		return -1;
	*job = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*old_photo = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	return 0;
}

int
files_find_key(struct workerd *w, const char *dedup_key, int64_t *id,
    char **cause)
{
	const char	*params[1] = { dedup_key };
	PGresult	*res;
	int		 found;

	res = tres_db_exec_retry(w, "SELECT id FROM files WHERE dedup_key = $1",
	    1, params, cause);
	if (res == NULL)
		return -1;
	if ((found = PQntuples(res) == 1))
		*id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return found;
}

PGresult *
files_source(struct workerd *w, const char *id, char **cause)
{
	const char	*params[1] = { id };

	return tres_db_exec_retry(w, "SELECT owner_id, s3_key, size, "
	    "content_type FROM files WHERE id = $1::bigint", 1, params, cause);
}

/* SQLSTATE foreign_key_violation: the file's row is gone. */
#define FILES_FK_GONE	"23503"

int
files_thumbs_record(struct workerd *w, const char *id,
    const struct files_thumb *t, int n, char **cause)
{
	char		 num[2][3][16];
	const char	*params[1 + 4 * 2];
	PGresult	*res;
	int		 i;

	/* One statement for both rows: either both are recorded or
	 * neither.  The thumbnails table's CHECK allows two sizes. */
	if (n != 2) {
		*cause = xasprintf("%d thumbnails, not 2", n);
		return -1;
	}
	params[0] = id;
	for (i = 0; i < n; i++) {
		snprintf(num[i][0], sizeof num[i][0], "%d", t[i].size);
		snprintf(num[i][1], sizeof num[i][1], "%d", t[i].width);
		snprintf(num[i][2], sizeof num[i][2], "%d", t[i].height);
		params[1 + 4 * i] = num[i][0];
		params[2 + 4 * i] = t[i].s3_key;
		params[3 + 4 * i] = num[i][1];
		params[4 + 4 * i] = num[i][2];
	}
	/* An upsert: safe to run twice after a lost connection. */
	res = tres_db_exec_retry(w, "INSERT INTO thumbnails (file_id, size, "
	    "s3_key, width, height) VALUES ($1::bigint, $2::int, $3, $4::int, "
	    "$5::int), ($1::bigint, $6::int, $7, $8::int, $9::int) "
	    "ON CONFLICT (file_id, size) DO UPDATE SET s3_key = "
	    "EXCLUDED.s3_key, width = EXCLUDED.width, height = "
	    "EXCLUDED.height, created_at = now()", 1 + 4 * n, params, cause);
	if (res != NULL) {
		PQclear(res);
		return 0;
	}
	if (strcmp(db_last_sqlstate(), FILES_FK_GONE) == 0) {
		free(*cause);
		*cause = NULL;
		return 1;
	}
	return -1;
}

/* Runs one statement of the delete's transaction; -1 and *cause. */
static int
files_sql(struct workerd *w, const char *sql, int n, const char *const *p,
    char **cause)
{
	PGresult *res;

	if ((res = tres_db_exec(w, sql, n, p, cause)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
files_delete(struct workerd *w, int64_t id, int64_t owner,
    const char **what, char **cause)
{
	struct s3	*s3;
	char		 key[96], sid[32], sowner[32], *fkey = NULL, *why = NULL;
	const char	*params[2] = { sid, sowner };
	PGresult	*res;
	size_t		 i;
	int		 found = -1;

	snprintf(sid, sizeof sid, "%" PRId64, id);
	snprintf(sowner, sizeof sowner, "%" PRId64, owner);
	*what = "database";
	/*
	 * The row stays locked until it is gone: a thumbnail job that stored
	 * its objects meanwhile cannot record them (its insert waits, then
	 * finds no file and removes its own objects), so none is left behind.
	 */
	if (files_sql(w, "BEGIN", 0, NULL, cause) == -1)
		return -1;
	res = tres_db_exec(w, "SELECT s3_key FROM files WHERE "
	    "id = $1::bigint AND owner_id = $2::bigint FOR UPDATE", 2, params,
	    cause);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		PQclear(res);
		found = 0;
		goto out;
	}
	fkey = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	*what = "storage";
	if ((s3 = tres_s3(w, cause)) == NULL)
		goto out;
	/* Every size, made or not: the keys are known without a query. */
	for (i = 0; i < sizeof files_thumb_sizes / sizeof files_thumb_sizes[0];
	    i++) {
		files_thumb_key(key, sizeof key, id, files_thumb_sizes[i]);
		if (s3_delete(s3, key, cause) != 0)
			goto out;
	}
	if (s3_delete(s3, fkey, cause) != 0)
		goto out;
	*what = "database";
	/* The thumbnails' rows go with it (ON DELETE CASCADE). */
	if (files_sql(w, "DELETE FROM files WHERE id = $1::bigint", 1, params,
	    cause) == -1 || files_sql(w, "COMMIT", 0, NULL, cause) == -1)
		goto out;
	found = 1;
out:
	/* A failure leaves the row, which the next DELETE finishes. */
	if (found != 1 && files_sql(w, "ROLLBACK", 0, NULL, &why) == -1) {
		free(why);
		db_release();	/* closes a session left in doubt */
	}
	free(fkey);
	return found;
}
