/*
 * h-upload.c — uploads: POST /api/v1/files and PUT /api/v1/me/photo.
 *
 * Both are ROUTE_STREAM routes: the handler starts as soon as the head is
 * read and pulls the body while it arrives, either raw (the request's
 * Content-Type is the file's, its name in ?name=) or as the file of a
 * multipart/form-data form from a browser.  The order makes a failure
 * leave nothing half-written:
 *
 *   1. reserve the file's id (its S3 key is made of ids alone) and the
 *      key (storage.h), so a crash from here on leaves nothing the
 *      reconciler cannot find;
 *   2. stream the body to S3 (files-store.c), SHA-256 on the way — if S3
 *      fails: 503, no row;
 *   3. one statement writes the row, the thumbnail job of an image and,
 *      for a photo, the user's photo — if it fails: the object is deleted,
 *      503;
 *   4. publish the thumbnail job (the sweeper does it if the broker is
 *      down).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "db.h"
#include "files.h"
#include "files-store.h"
#include "form.h"
#include "http.h"
#include "idempotency.h"
#include "job-types.h"
#include "jobs.h"
#include "log.h"
#include "request.h"
#include "respond.h"
#include "router.h"
#include "s3.h"
#include "storage.h"
#include "tres.h"
#include "workerd.h"
#include "xmalloc.h"

#define UPLOAD_CTYPE_MAX	127	/* bytes of a stored media type */

/* One upload under way. */
struct upload {
	struct workerd		*w;
	const struct request	*req;
	struct response		*resp;
	int			 photo;		/* PUT /api/v1/me/photo */
	struct form		*form;		/* multipart/form-data, or NULL */
	char			 ctype[UPLOAD_CTYPE_MAX + 1];
	char			 name[FORM_MAX_NAME + 1];
	int64_t			 id;
	char			 key[96];
	struct files_object	 obj;
	const char		*dedup_key;	/* idem_dedup_key, or NULL */
};

/*
 * A media type as stored and sent back: "type/subtype" in lowercase, then
 * any parameters as given.  0, or -1 when it is not one (or too long, or
 * holds a control character, which could forge a header).
 */
static int
upload_media_type(const char *in, char *out, size_t outlen)
{
	size_t	 i = 0;
	int	 slash = 0;

	for (; *in != '\0' && *in != ';' && *in != ' ' && *in != '\t'; in++) {
		if (*in == '/' && !slash && i > 0)
			slash = 1;
		else if (!http_is_tchar((unsigned char)*in))
			return -1;
		if (i + 1 >= outlen)
			return -1;
		out[i++] = (char)tolower((unsigned char)*in);
	}
	if (!slash || out[i - 1] == '/')
		return -1;
	for (; *in != '\0'; in++) {
		if ((unsigned char)*in < 0x20 || (unsigned char)*in >= 0x7f ||
		    i + 1 >= outlen)
			return -1;
		out[i++] = *in;
	}
	out[i] = '\0';
	return 0;
}

/* Valid UTF-8 of `in`, controls dropped, an invalid byte becoming '?'. */
static void
upload_set_name(char *out, size_t outlen, const unsigned char *in, size_t len)
{
	size_t	 i = 0, o = 0, n, k;

	while (i < len && o + 1 < outlen) {
		n = in[i] < 0x80 ? 1 : (in[i] & 0xe0) == 0xc0 ? 2 :
		    (in[i] & 0xf0) == 0xe0 ? 3 : (in[i] & 0xf8) == 0xf0 ? 4 : 0;
		for (k = 1; n > 1 && k < n; k++) {
			if (i + k >= len || (in[i + k] & 0xc0) != 0x80)
				n = 0;
		}
		/* Overlong forms and surrogates are refused as well. */
		if ((n == 2 && in[i] < 0xc2) || (n == 3 && in[i] == 0xe0 &&
		    in[i + 1] < 0xa0) || (n == 3 && in[i] == 0xed &&
		    in[i + 1] >= 0xa0) || (n == 4 && (in[i] > 0xf4 ||
		    (in[i] == 0xf0 && in[i + 1] < 0x90) || (in[i] == 0xf4 &&
		    in[i + 1] >= 0x90))))
			n = 0;
		if (n == 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + n >= outlen)
			break;
		if (n > 1 || (in[i] >= 0x20 && in[i] != 0x7f)) {
			memcpy(out + o, in + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
}

/* ?name= of a raw upload, percent-decoded. */
static void
upload_query_name(struct upload *u)
{
	char		 raw[FORM_MAX_NAME * 3 + 1];
	unsigned char	 dec[sizeof raw];
	size_t		 i, n = 0;
	unsigned int	 hex;

	u->name[0] = '\0';
	if (!request_query(u->req, "name", raw, sizeof raw))
		return;
	for (i = 0; raw[i] != '\0'; i++) {
		if (raw[i] == '%' && isxdigit((unsigned char)raw[i + 1]) &&
		    isxdigit((unsigned char)raw[i + 2]) &&
		    sscanf(raw + i + 1, "%2x", &hex) == 1) {
			dec[n++] = (unsigned char)hex;
			i += 2;
		} else
			dec[n++] = raw[i] == '+' ? ' ' : (unsigned char)raw[i];
	}
	upload_set_name(u->name, sizeof u->name, dec, n);
}

static ssize_t
upload_read_raw(void *arg, void *buf, size_t len, int *status,
    const char **cause)
{
	return request_read(arg, buf, len, status, cause);
}

static ssize_t
upload_read_form(void *arg, void *buf, size_t len, int *status,
    const char **cause)
{
	return form_read(arg, buf, len, status, cause);
}

/* Finds the file's media type and name; answers 4xx itself. */
static int
upload_describe(struct upload *u)
{
	const char	*ct = u->req->content_type, *name, *pct, *why;
	char		*cause = NULL;
	int		 status;

	if (form_is_multipart(ct)) {
		if ((u->form = form_new(ct,
		    (size_t)u->w->conf.worker.max_header_size, upload_read_raw,
		    (void *)u->req, &cause)) == NULL) {
			response_error(u->resp, 400, "%s", cause);
			free(cause);
			return -1;
		}
		if (form_file(u->form, &name, &pct, &status, &why) == -1) {
			response_error(u->resp, status, "%s", why);
			return -1;
		}
		upload_set_name(u->name, sizeof u->name,
		    (const unsigned char *)name, strlen(name));
		ct = pct;
	} else
		upload_query_name(u);
	if (ct == NULL)
		ct = "application/octet-stream";
	if (upload_media_type(ct, u->ctype, sizeof u->ctype) == -1) {
		response_error(u->resp, 415, "the file's Content-Type is not a "
		    "media type");
		return -1;
	}
	if (u->photo && strncmp(u->ctype, "image/", 6) != 0) {
		response_error(u->resp, 415, "a photo must be an image/* "
		    "Content-Type");
		return -1;
	}
	if (u->photo && u->name[0] == '\0')
		snprintf(u->name, sizeof u->name, "photo");
	return 0;
}

/* Reserves the file's id: its key is made of ids only. */
static int
upload_reserve(struct upload *u)
{
	char		*cause = NULL;

	if (files_new_id(u->w, &u->id, &cause) == -1) {
		log_warnx("upload: reserving an id: %s", cause);
		free(cause);
		files_unavailable(u->w, u->resp, "database");
		return -1;
	}
	files_key(u->key, sizeof u->key, u->req->user_id, u->id);
	if (storage_reserve(tres_pg(u->w), u->key, STORAGE_FILE,
	    &cause) != 0) {
		log_warnx("upload: reserving %s: %s", u->key, cause);
		free(cause);
		files_unavailable(u->w, u->resp, "database");
		return -1;
	}
	return 0;
}

/* Streams the body to S3; answers itself on failure (nothing stored). */
static int
upload_store(struct upload *u)
{
	struct s3	*s3;
	char		*cause = NULL;
	const char	*why;
	int		 status = 503;

	if ((s3 = tres_s3(u->w, &cause)) == NULL ||
	    files_store(s3, tres_pg(u->w), u->key, u->ctype,
	    u->form != NULL ? -1 : u->req->body_length, u->form != NULL ?
	    upload_read_form : upload_read_raw, u->form != NULL ?
	    (void *)u->form : (void *)u->req, &u->obj, &status,
	    &cause) == -1) {
		if (status == 503) {
			log_warnx("upload %s: %s", u->key, cause);
			files_unavailable(u->w, u->resp, "storage");
		} else
			response_error(u->resp, status, "%s", cause);
		free(cause);
		return -1;
	}
	/* The rest of a form must be whole too, or nothing is kept. */
	if (u->form != NULL && form_finish(u->form, &status, &why) == -1) {
		response_error(u->resp, status, "%s", why);
		if (s3_delete(s3, u->key, &cause) != 0) {
			log_warnx("upload %s: removing the object: %s", u->key,
			    cause);
			free(cause);
		} else
			storage_forget(tres_pg(u->w), u->key);
		return -1;
	}
	return 0;
}

/*
 * Writes the row, an image's thumbnail job and a photo's link in one
 * statement.  *job is the job's id (0: none), *old_photo the photo it
 * replaces (0: none).  On failure the object is removed and 503 sent.
 */
static int
upload_commit(struct upload *u, int64_t *job, int64_t *old_photo)
{
	struct files_new f;
	char		*cause = NULL;
	struct s3	*s3;

	memset(&f, 0, sizeof f);
	f.id = u->id;
	f.owner = u->req->user_id;
	f.s3_key = u->key;
	f.size = u->obj.size;
	f.content_type = u->ctype;
	f.sha256 = u->obj.sha256;
	f.name = u->name;
	f.thumbnail = strncmp(u->ctype, "image/", 6) == 0;
	f.photo = u->photo;
	f.dedup_key = u->dedup_key;
	if (files_create(u->w, &f, job, old_photo, &cause) == -1) {
		log_warnx("upload %s: writing its row: %s", u->key, cause);
		free(cause);
		cause = NULL;
		if ((s3 = tres_s3(u->w, &cause)) == NULL ||
		    s3_delete(s3, u->key, &cause) != 0) {
			log_warnx("upload %s: the object stays without a row "
			    "(the reconciler's): %s", u->key, cause);
			free(cause);
		} else
			storage_forget(tres_pg(u->w), u->key);
		files_unavailable(u->w, u->resp, "database");
		return -1;
	}
	return 0;
}

/* Answers file `id` as stored: 201 (200 for a photo), `body` (a
 * reference taken) and its Location. */
static void
upload_answer(struct upload *u, int64_t id, json_t *body)
{
	response_json(u->resp, u->photo ? 200 : 201, body);
	response_header(u->resp, "Location: /api/v1/files/%" PRId64, id);
}

/*
 * A keyed upload tried again after its worker died between recording the
 * file and answering: 1 after answering the file the first try stored
 * (the body is left unread), 0 when there is none and the upload runs.
 */
static int
upload_found(struct upload *u)
{
	struct files_row row;
	char		*cause = NULL;
	int64_t		 id;
	int		 found;

	if (u->dedup_key == NULL)
		return 0;
	memset(&row, 0, sizeof row);
	found = files_find_key(u->w, u->dedup_key, &id, &cause);
	if (found == 1)
		found = files_load(u->w, id, u->req->user_id, &row, &cause);
	if (found == 1 && row.json != NULL) {
		log_info("file %" PRId64 " found: stored by an earlier try "
		    "with the same key", id);
		upload_answer(u, id, json_incref(row.json));
	} else if (found != 0) {
		log_warnx("upload: looking for an earlier try: %s",
		    cause ? cause : "no row");
		free(cause);
		files_unavailable(u->w, u->resp, "database");
	}
	files_row_clear(&row);
	return found != 0;
}

static void
upload_run(struct workerd *w, const struct request *req,
    struct response *resp, int photo, const char *dedup_key)
{
	struct upload	 u;
	struct files_row row;
	const char	*what;
	char		*cause = NULL;
	int64_t		 job = 0, old = 0;

	memset(&u, 0, sizeof u);
	u.w = w;
	u.req = req;
	u.resp = resp;
	u.photo = photo;
	u.dedup_key = dedup_key;
	if (upload_found(&u) == 1)
		return;
	if (upload_describe(&u) == -1 || upload_reserve(&u) == -1 ||
	    upload_store(&u) == -1 || upload_commit(&u, &job, &old) == -1)
		goto out;
	if (job > 0)
		jobs_publish(w, job, job_types[JOB_THUMBNAIL]);
	if (old > 0 && old != u.id &&
	    files_delete(w, old, req->user_id, &what, &cause) == -1) {
		log_warnx("photo: the previous photo %" PRId64 " stays a file "
		    "(%s): %s", old, what, cause);
		free(cause);
		cause = NULL;
	}
	log_info("file %" PRId64 " stored: %" PRId64 " bytes, %s", u.id,
	    u.obj.size, u.ctype);
	if (files_load(w, u.id, req->user_id, &row, &cause) == 1 &&
	    row.json != NULL)
		upload_answer(&u, u.id, json_incref(row.json));
	else {
		/* Stored and committed: say so even if it cannot be re-read. */
		free(cause);
		upload_answer(&u, u.id, json_pack("{s:I,s:I,s:s}", "id",
		    (json_int_t)u.id, "size", (json_int_t)u.obj.size, "sha256",
		    u.obj.sha256));
	}
	files_row_clear(&row);
out:
	form_free(u.form);
}

/* An Idempotency-Key makes a second try answer the stored file instead
 * of storing it twice (idempotency.h). */
static void
upload_once(struct workerd *w, const struct request *req,
    struct response *resp, int photo)
{
	struct idem	 idem;
	char		*dedup;

	if (idem_begin(w, req, req->user_id, 1, &idem, resp) != 0)
		return;
	dedup = idem_dedup_key(&idem, "upload");
	upload_run(w, req, resp, photo, dedup);
	free(dedup);
	idem_end(w, &idem, resp);
}

void
h_files_upload(struct workerd *w, const struct request *req,
    struct response *resp)
{
	upload_once(w, req, resp, 0);
}

void
h_me_photo(struct workerd *w, const struct request *req,
    struct response *resp)
{
	upload_once(w, req, resp, 1);
}
