/*
 * jobs-thumb.c — the "thumbnail" job type: the 128 and 512 pixel JPEG
 * thumbnails of an uploaded image.
 *
 * The payload is {"file_id":N}.  The handler reads the file's row, fetches
 * its object from S3 into memory (at most files.thumbnail_max_size bytes:
 * libvips wants the whole file), makes the 512 pixel thumbnail of it and
 * the 128 pixel one of that (thumb.h), stores them under
 * thumbnails/<file>/<size>.jpg (each key reserved first, storage.h) and
 * records them in the thumbnails table.  The result is
 * {"file_id","thumbnails":[{"size","width","height"},…]}.
 *
 * A rerun writes the same keys and updates the same rows.  A file deleted
 * before or while the job runs is not an error: the job is done and says
 * so, and thumbnails stored after the file's row went away (the insert
 * meets the foreign key) are deleted again, so nothing is left behind
 * that no row names.  An image that cannot be thumbnailed (damaged, too
 * many pixels, not an image) fails the job at once with the reason; the
 * file itself stays.  An unreachable S3 or PostgreSQL sends the job back
 * to its queue without counting the attempt.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "db.h"
#include "files.h"
#include "jobs-int.h"
#include "log.h"
#include "s3.h"
#include "storage.h"
#include "thumb.h"
#include "tres.h"
#include "workerd.h"
#include "xmalloc.h"

/* The sizes made, as the thumbnails table's CHECK allows them, smallest
 * first (the largest is made first, from the photo). */
static const int thumb_sizes[] = { 128, 512 };
#define THUMB_NSIZES	(sizeof thumb_sizes / sizeof thumb_sizes[0])

/* The object being downloaded. */
struct thumb_fetch {
	char		*data;
	size_t		 len;
	size_t		 size;		/* allocated */
	size_t		 max;
	int		 over;		/* the object outgrew max */
};

/* One thumbnail made. */
struct thumb_out {
	int		 size;
	char		*key;
	void		*jpeg;
	size_t		 len;
	int		 width;
	int		 height;
};

/* s3_write_cb: appends a piece of the object, refusing more than max. */
static int
thumb_fetch_cb(const void *data, size_t len, void *arg)
{
	struct thumb_fetch	*f = arg;
	size_t			 want;

	if (len > f->max - f->len) {
		f->over = 1;
		return -1;
	}
	if (f->len + len > f->size) {
		want = f->size > 0 ? f->size : 64 * 1024;
		while (want < f->len + len)
			want = want > f->max / 2 ? f->max : want * 2;
		f->data = xrealloc(f->data, want);
		f->size = want;
	}
	memcpy(f->data + f->len, data, len);
	f->len += len;
	return 0;
}

/*
 * What a failed S3 request means for the job: when the bucket itself
 * does not answer either, S3 is unreachable (or refuses this worker's
 * keys) and the job waits for it; otherwise the failure was this
 * request's own and the job is retried later.
 */
static enum jobs_result
thumb_s3_failed(struct s3 *s3)
{
	char	*cause = NULL;

	if (s3_head_bucket(s3, NULL, &cause) != 0) {
		free(cause);
		return JOBS_UNAVAILABLE;
	}
	return JOBS_FAIL;
}

/* What a failed statement means for the job. */
static enum jobs_result
thumb_db_failed(void)
{
	return jobs_db_outage() ? JOBS_UNAVAILABLE : JOBS_FATAL;
}

/* The result of a job whose file is gone. */
static json_t *
thumb_gone(int64_t file_id)
{
	return json_pack("{s:I,s:b,s:[]}", "file_id", (json_int_t)file_id,
	    "deleted", 1, "thumbnails");
}

/*
 * Reads the file's row into *row (the caller PQclear-s it).  JOBS_DONE
 * with *row NULL when there is no such file; JOBS_DONE with *row; or
 * another result with *cause.
 */
static enum jobs_result
thumb_row(struct workerd *w, const char *fid, PGresult **row, char **cause)
{
	PGresult	*res;

	*row = NULL;
	if ((res = files_source(w, fid, cause)) == NULL)
		return thumb_db_failed();
	if (PQntuples(res) == 0)
		PQclear(res);
	else
		*row = res;
	return JOBS_DONE;
}

/* Deletes the thumbnails stored so far (best effort: logged). */
static void
thumb_unstore(struct s3 *s3, const struct conf_postgres *pg, const char *fid,
    struct thumb_out *out, int n)
{
	char	*cause = NULL;
	int	 i;

	for (i = 0; i < n; i++) {
		if (s3_delete(s3, out[i].key, &cause) != 0) {
			log_warnx("thumbnails of deleted file %s: %s", fid,
			    cause);
			free(cause);
			cause = NULL;
		} else
			storage_forget(pg, out[i].key);
	}
}

/*
 * Records the thumbnails.  JOBS_DONE with *gone set when the file's row
 * went away meanwhile (the objects are then deleted again).
 */
static enum jobs_result
thumb_record(struct workerd *w, struct s3 *s3, const char *fid,
    struct thumb_out *out, int *gone, char **cause)
{
	struct files_thumb	 t[THUMB_NSIZES];
	size_t			 i;
	int			 rc;

	for (i = 0; i < THUMB_NSIZES; i++) {
		t[i].size = out[i].size;
		t[i].s3_key = out[i].key;
		t[i].width = out[i].width;
		t[i].height = out[i].height;
	}
	*gone = 0;
	if ((rc = files_thumbs_record(w, fid, t, THUMB_NSIZES, cause)) == 0)
		return JOBS_DONE;
	if (rc == 1) {
		log_info("file %s was deleted while its thumbnails were made",
		    fid);
		thumb_unstore(s3, tres_pg(w), fid, out, THUMB_NSIZES);
		*gone = 1;
		return JOBS_DONE;
	}
	return thumb_db_failed();
}

/* Fetches the object `key` of `size` bytes into f. */
static enum jobs_result
thumb_download(struct workerd *w, struct s3 *s3, const char *fid,
    const char *key, int64_t size, struct thumb_fetch *f, int *missing,
    char **cause)
{
	int64_t	max = w->conf.files.thumbnail_max_size;
	int	rv;

	*missing = 0;
	if (size > max) {
		*cause = xasprintf("file %s is %" PRId64 " bytes, over "
		    "files.thumbnail_max_size (%" PRId64 " bytes): no "
		    "thumbnails", fid, size, max);
		return JOBS_FATAL;
	}
	memset(f, 0, sizeof *f);
	f->max = (size_t)max;
	if (size > 0) {
		f->size = (size_t)size;
		f->data = xmalloc(f->size);
	}
	rv = s3_get(s3, key, thumb_fetch_cb, f, NULL, cause);
	if (rv == 0)
		return JOBS_DONE;
	if (f->over) {
		free(*cause);
		*cause = xasprintf("file %s has more than files."
		    "thumbnail_max_size (%" PRId64 " bytes) in S3: no "
		    "thumbnails", fid, max);
		return JOBS_FATAL;
	}
	if (rv == S3_NOTFOUND) {
		*missing = 1;
		return JOBS_FATAL;
	}
	return thumb_s3_failed(s3);
}

/* Makes one thumbnail of the image of `len` bytes at `src`. */
static enum jobs_result
thumb_one(struct workerd *w, const char *fid, const void *src, size_t len,
    struct thumb_out *o, char **cause)
{
	char	*why = NULL;

	if (thumb_make(src, len, o->size, w->conf.files.max_pixels,
	    &o->jpeg, &o->len, &o->width, &o->height, &why) != 0) {
		/* The same bytes fail the same way: no retry. */
		*cause = xasprintf("file %s: %s", fid, why);
		free(why);
		return JOBS_FATAL;
	}
	o->key = xasprintf("thumbnails/%s/%d.jpg", fid, o->size);
	return JOBS_DONE;
}

/* The job's result: the file and the size of each thumbnail. */
static json_t *
thumb_result(int64_t file_id, const struct thumb_out *out)
{
	json_t	*list;
	size_t	 i;

	list = json_array();
	for (i = 0; i < THUMB_NSIZES; i++)
		json_array_append_new(list, json_pack("{s:i,s:i,s:i}", "size",
		    out[i].size, "width", out[i].width, "height",
		    out[i].height));
	return json_pack("{s:I,s:o}", "file_id", (json_int_t)file_id,
	    "thumbnails", list);
}

enum jobs_result
jobs_thumb(struct workerd *w, const struct jobs_ctx *ctx, json_t **result,
    char **cause)
{
	struct thumb_out	 out[THUMB_NSIZES];
	struct thumb_fetch	 f;
	enum jobs_result	 r;
	struct s3		*s3;
	PGresult		*row = NULL;
	json_t			*v;
	char			 fid[32], *why = NULL;
	int64_t			 file_id, owner, size;
	int			 missing, gone;
	size_t			 i;

	memset(&f, 0, sizeof f);
	memset(out, 0, sizeof out);
	for (i = 0; i < THUMB_NSIZES; i++)
		out[i].size = thumb_sizes[i];

	v = json_object_get(ctx->payload, "file_id");
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		*cause = xstrdup("payload has no valid \"file_id\"");
		return JOBS_FATAL;
	}
	file_id = json_integer_value(v);
	snprintf(fid, sizeof fid, "%" PRId64, file_id);

	if ((r = thumb_row(w, fid, &row, cause)) != JOBS_DONE)
		goto out;
	if (row == NULL) {
		log_info("thumbnail job %" PRId64 ": file %s is gone", ctx->id,
		    fid);
		*result = thumb_gone(file_id);
		goto out;
	}
	owner = strtoll(PQgetvalue(row, 0, 0), NULL, 10);
	size = strtoll(PQgetvalue(row, 0, 2), NULL, 10);
	if (ctx->user_id > 0 && owner != ctx->user_id) {
		*cause = xasprintf("file %s does not belong to the job's user",
		    fid);
		r = JOBS_FATAL;
		goto out;
	}

	if ((s3 = tres_s3(w, cause)) == NULL) {
		r = JOBS_UNAVAILABLE;
		goto out;
	}
	r = thumb_download(w, s3, fid, PQgetvalue(row, 0, 1), size, &f,
	    &missing, cause);
	if (missing) {
		/* Deleted since the row was read, or a row without object. */
		PQclear(row);
		if ((r = thumb_row(w, fid, &row, &why)) != JOBS_DONE) {
			free(*cause);
			*cause = why;
			goto out;
		}
		if (row == NULL) {
			free(*cause);
			*cause = NULL;
			*result = thumb_gone(file_id);
			goto out;
		}
		r = JOBS_FATAL;
	}
	if (r != JOBS_DONE)
		goto out;
	log_debug("thumbnail job %" PRId64 ": file %s, %s, %zu bytes",
	    ctx->id, fid, PQgetvalue(row, 0, 3), f.len);
	jobs_stage(ctx->stages, "fetch");

	/*
	 * Every size is made before any is stored: an image that fails at
	 * one size leaves nothing behind.  Only the largest is made from the
	 * photo; each smaller one from the thumbnail just made, already
	 * turned upright, in sRGB and a few hundred pixels wide: decoding
	 * the photo once instead of once per size is most of the work saved
	 * (a thumbnail downscaled again by 4 loses nothing visible of the
	 * first JPEG's).  Sizes round alike either way, within a pixel.
	 */
	for (i = THUMB_NSIZES; i-- > 0;) {
		if (i == THUMB_NSIZES - 1)
			r = thumb_one(w, fid, f.data, f.len, &out[i], cause);
		else
			r = thumb_one(w, fid, out[i + 1].jpeg, out[i + 1].len,
			    &out[i], cause);
		if (r != JOBS_DONE)
			goto out;
		jobs_stage(ctx->stages, i == THUMB_NSIZES - 1 ? "large" :
		    "small");
	}
	free(f.data);		/* the image is not needed any more */
	f.data = NULL;
	for (i = 0; i < THUMB_NSIZES; i++) {
		if (storage_reserve(tres_pg(w), out[i].key,
		    STORAGE_THUMBNAIL, cause) != 0) {
			r = thumb_db_failed();
			goto out;
		}
		if (s3_put_buf(s3, out[i].key, "image/jpeg", out[i].jpeg,
		    out[i].len, cause) != 0) {
			r = thumb_s3_failed(s3);
			goto out;
		}
	}
	jobs_stage(ctx->stages, "store");
	if ((r = thumb_record(w, s3, fid, out, &gone, cause)) != JOBS_DONE)
		goto out;
	jobs_stage(ctx->stages, "record");
	*result = gone ? thumb_gone(file_id) : thumb_result(file_id, out);
out:
	for (i = 0; i < THUMB_NSIZES; i++) {
		free(out[i].key);
		free(out[i].jpeg);
	}
	free(f.data);
	if (row != NULL)
		PQclear(row);
	return r;
}
