/*
 * h-files.c — a user's files: list, show, content, thumbnail, delete.
 * (Uploads are in h-upload.c.)
 *
 * A file exists for its owner alone: another user's file is 404, as a
 * missing one, so ids reveal nothing.  Content is streamed from S3 to the
 * client through the connection (response_stream_begin), so a download of
 * any size holds only worker.stream_buffer bytes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "db.h"
#include "files.h"
#include "log.h"
#include "request.h"
#include "respond.h"
#include "router.h"
#include "s3.h"
#include "tres.h"
#include "workerd.h"
#include "xmalloc.h"

/* The largest thumbnail object read (a 512 px JPEG is far smaller). */
#define FILES_THUMB_MAX	(4 * 1024 * 1024)

/* Reads file req->ids[0] of the caller; answers 404 or 503 itself. */
static int
files_find(struct workerd *w, const struct request *req,
    struct response *resp, struct files_row *row)
{
	char	*cause = NULL;
	int	 found;

	found = files_load(w, req->ids[0], req->user_id, row, &cause);
	if (found == -1) {
		log_warnx("file %" PRId64 ": %s", req->ids[0], cause);
		free(cause);
		files_unavailable(w, resp, "database");
	} else if (found == 0)
		response_error(resp, 404, "no such file");
	else if (row->json == NULL) {
		files_row_clear(row);
		response_error(resp, 500, "cannot encode the file");
		found = -1;
	}
	return found == 1 ? 0 : -1;
}

/* GET /api/v1/files?limit=N&before=ID: the caller's files, newest first. */
void
h_files_list(struct workerd *w, const struct request *req,
    struct response *resp)
{
	struct files_row row;
	int64_t		 limit, before;
	char		*cause = NULL;
	json_t		*list, *reply;
	PGresult	*res;
	int		 i, n;

	if (request_query_int(req, resp, "limit", w->conf.files.page_size, 1,
	    w->conf.files.page_size, &limit) == -1 ||
	    request_query_int(req, resp, "before", 0, 0, INT64_MAX,
	    &before) == -1)
		return;
	/* One more than asked tells whether a next page exists. */
	if ((res = files_list(w, req->user_id, before, limit + 1,
	    &cause)) == NULL) {
		log_warnx("files: %s", cause);
		free(cause);
		files_unavailable(w, resp, "database");
		return;
	}
	list = json_array();
	n = PQntuples(res);
	for (i = 0; i < n && i < limit; i++) {
		files_row_from(res, i, &row);
		if (row.json != NULL)
			json_array_append(list, row.json);
		files_row_clear(&row);
	}
	reply = json_pack("{s:o}", "files", list);
	if (n > limit) {
		/* The cursor is the last id shown: ids only go down. */
		char next[96];

		snprintf(next, sizeof next, "/api/v1/files?limit=%" PRId64
		    "&before=%s", limit, PQgetvalue(res, (int)limit - 1, 0));
		json_object_set_new(reply, "next", json_string(next));
	} else
		json_object_set_new(reply, "next", json_null());
	PQclear(res);
	response_json(resp, 200, reply);
}

/* GET /api/v1/files/{id} */
void
h_files_get(struct workerd *w, const struct request *req,
    struct response *resp)
{
	struct files_row row;

	if (files_find(w, req, resp, &row) == -1)
		return;
	response_json(resp, 200, json_incref(row.json));
	files_row_clear(&row);
}

/* What a download streams, and whether its head went out. */
struct files_download {
	struct response	*resp;
	const struct files_row *row;
	int		 started;
};

/* An s3_write_cb: the first byte starts the response, every byte goes
 * straight on to the client. */
static int
files_download_write(const void *data, size_t len, void *arg)
{
	struct files_download *d = arg;

	if (!d->started) {
		d->started = 1;
		response_header(d->resp, "ETag: \"%s\"", d->row->sha256);
		response_header(d->resp, "Content-Type: %s",
		    d->row->content_type);
		/* Never rendered inline as a page of this site. */
		response_header(d->resp, "Content-Disposition: attachment");
		response_header(d->resp, "X-Content-Type-Options: nosniff");
		if (response_stream_begin(d->resp, 200, NULL,
		    d->row->size) == -1)
			return -1;
	}
	return response_stream_write(d->resp, data, len);
}

/* GET /api/v1/files/{id}/content: the bytes, streamed from S3. */
void
h_files_content(struct workerd *w, const struct request *req,
    struct response *resp)
{
	struct files_download d = { resp, NULL, 0 };
	struct files_row row;
	struct s3	*s3;
	char		*cause = NULL;
	int		 rc;

	if (files_find(w, req, resp, &row) == -1)
		return;
	d.row = &row;
	if ((s3 = tres_s3(w, &cause)) == NULL)
		rc = -1;
	else
		rc = s3_get(s3, row.s3_key, files_download_write, &d, NULL,
		    &cause);
	if (d.started) {
		/* The head is out: a failure can only cut the body short,
		 * which the connection shows by closing. */
		if (rc != 0)
			log_warnx("file %" PRId64 ": download cut: %s", row.id,
			    cause);
	} else if (rc == 0) {
		/* An empty file: S3 had no byte to hand over. */
		response_header(resp, "ETag: \"%s\"", row.sha256);
		response_header(resp, "Content-Disposition: attachment");
		response_header(resp, "X-Content-Type-Options: nosniff");
		response_body(resp, 200, NULL, xstrdup(""), 0);
		response_header(resp, "Content-Type: %s", row.content_type);
	} else if (rc == S3_NOTFOUND) {
		log_warnx("file %" PRId64 ": its object is missing: %s",
		    row.id, cause);
		response_error(resp, 404, "no such file");
	} else {
		log_warnx("file %" PRId64 ": %s", row.id, cause);
		files_unavailable(w, resp, "storage");
	}
	free(cause);
	files_row_clear(&row);
}

/* A thumbnail read into memory (an s3_write_cb). */
struct files_buf {
	char	*data;
	size_t	 len;
};

static int
files_buf_write(const void *data, size_t len, void *arg)
{
	struct files_buf *b = arg;

	if (len > FILES_THUMB_MAX - b->len)
		return -1;
	b->data = xrealloc(b->data, b->len + len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

/* GET /api/v1/files/{id}/thumbnail?size=128|512: 404 until made. */
void
h_files_thumbnail(struct workerd *w, const struct request *req,
    struct response *resp)
{
	struct files_buf b = { NULL, 0 };
	struct files_row row;
	struct s3	*s3;
	json_t		*t;
	char		 key[96], *cause = NULL;
	int64_t		 size;
	size_t		 i;
	int		 rc, made = 0;

	if (request_query_int(req, resp, "size", 128, 1, 4096, &size) == -1)
		return;
	if (size != 128 && size != 512) {
		response_error(resp, 400, "size must be 128 or 512");
		return;
	}
	if (files_find(w, req, resp, &row) == -1)
		return;
	json_array_foreach(json_object_get(row.json, "thumbnails"), i, t) {
		if (json_integer_value(json_object_get(t, "size")) == size)
			made = 1;
	}
	if (!made) {
		files_row_clear(&row);
		response_error(resp, 404, "no thumbnail of this size yet");
		return;
	}
	files_thumb_key(key, sizeof key, row.id, (int)size);
	if ((s3 = tres_s3(w, &cause)) == NULL)
		rc = -1;
	else
		rc = s3_get(s3, key, files_buf_write, &b, NULL, &cause);
	if (rc == 0) {
		response_body(resp, 200, "image/jpeg", b.data, b.len);
		b.data = NULL;
	} else if (rc == S3_NOTFOUND)
		response_error(resp, 404, "no thumbnail of this size yet");
	else {
		log_warnx("file %" PRId64 ": thumbnail: %s", row.id, cause);
		files_unavailable(w, resp, "storage");
	}
	free(b.data);
	free(cause);
	files_row_clear(&row);
}

/* DELETE /api/v1/files/{id}: 204. */
void
h_files_delete(struct workerd *w, const struct request *req,
    struct response *resp)
{
	const char	*what;
	char		*cause = NULL;
	int		 rc;

	rc = files_delete(w, req->ids[0], req->user_id, &what, &cause);
	if (rc == 1)
		response_body(resp, 204, NULL, NULL, 0);
	else if (rc == 0)
		response_error(resp, 404, "no such file");
	else {
		log_warnx("file %" PRId64 ": delete: %s", req->ids[0], cause);
		free(cause);
		files_unavailable(w, resp, what);
	}
}
