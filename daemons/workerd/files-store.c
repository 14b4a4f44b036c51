/* files-store.c — see files-store.h. */
#include <stdlib.h>
#include <string.h>

#include "files-store.h"
#include "log.h"
#include "s3.h"
#include "storage.h"
#include "xmalloc.h"

/* The parts of a multipart upload under way. */
struct files_mpu {
	char	*upload_id;
	char	**etags;
	int	 nparts;
};

/*
 * Fills `buf` with up to `size` bytes: their number (less than `size`
 * only at the end of the body, *eof then set), or -1 with *status and
 * *cause.
 */
static ssize_t
files_fill(files_read_fn read, void *arg, char *buf, size_t size, int *eof,
    int *status, char **cause)
{
	const char	*why;
	size_t		 len = 0;
	ssize_t		 n;

	while (len < size) {
		if ((n = read(arg, buf + len, size - len, status, &why)) < 0) {
			*cause = xstrdup(why);
			return -1;
		}
		if (n == 0) {
			*eof = 1;
			break;
		}
		len += (size_t)n;
	}
	return (ssize_t)len;
}

/*
 * Begins the multipart upload and records its id with the key's
 * reservation, so a worker that dies before the end leaves an upload the
 * reconciler can free.  An id that cannot be recorded is aborted at once.
 */
static int
files_mpu_begin(struct s3 *s3, const struct conf_postgres *pg,
    const char *key, const char *ctype, struct files_mpu *m, char **cause)
{
	char	*why = NULL;

	if (s3_mpu_begin(s3, key, ctype, &m->upload_id, cause) != 0)
		return -1;
	if (storage_upload(pg, key, m->upload_id, cause) == 0)
		return 0;
	if (s3_mpu_abort(s3, key, m->upload_id, &why) != 0) {
		log_warnx("%s: upload %s not recorded, not aborted: %s", key,
		    m->upload_id, why);
		free(why);
	}
	free(m->upload_id);
	m->upload_id = NULL;
	return -1;
}

/* Sends one part; -1 with *cause. */
static int
files_mpu_part(struct s3 *s3, const struct conf_postgres *pg,
    const char *key, const char *ctype, struct files_mpu *m,
    const char *data, size_t len, char **cause)
{
	char *etag;

	if (m->upload_id == NULL &&
	    files_mpu_begin(s3, pg, key, ctype, m, cause) != 0)
		return -1;
	if (m->nparts == S3_PART_MAX) {
		*cause = xstrdup("the file needs more parts than S3 allows: "
		    "raise s3.part_size");
		return -1;
	}
	if (s3_mpu_part(s3, key, m->upload_id, m->nparts + 1, data, len,
	    &etag, cause) != 0)
		return -1;
	m->etags = xreallocarray(m->etags, (size_t)m->nparts + 1,
	    sizeof *m->etags);
	m->etags[m->nparts++] = etag;
	return 0;
}

static void
files_mpu_clear(struct files_mpu *m)
{
	int i;

	for (i = 0; i < m->nparts; i++)
		free(m->etags[i]);
	free(m->etags);
	free(m->upload_id);
}

/* The source of a streamed part, and what became of it. */
struct files_part {
	files_read_fn			 read;
	void				*arg;
	struct s3_sha256		*sha;
	int				 status;	/* when it failed */
	char				*cause;
};

/* An s3_read_cb: the next bytes of the body, hashed on the way. */
static ssize_t
files_part_read(void *buf, size_t len, void *arg)
{
	struct files_part	*p = arg;
	const char		*why;
	ssize_t			 n;

	if ((n = p->read(p->arg, buf, len, &p->status, &why)) > 0) {
		s3_sha256_update(p->sha, buf, (size_t)n);
		return n;
	}
	if (n == 0) {
		p->status = 400;
		why = "the body ended before its length";
	}
	p->cause = xstrdup(why);
	return -1;
}

/* A streamed request failed: when the body was the cause (the client's
 * error, not S3's), that is what the caller is told. */
static void
files_part_failed(struct files_part *p, int *status, char **cause)
{
	if (p->cause == NULL)
		return;
	free(*cause);
	*cause = p->cause;
	*status = p->status;
	p->cause = NULL;
}

/*
 * A body of known `length` up to s3.single_put_max: one PUT that streams
 * from the client to S3 while it arrives, so the two transfers overlap,
 * no part is held in memory and S3 has no parts to join.  The body is
 * sent unsigned (its hash is known only at the end); the request is
 * signed.  A body that fails half-way makes curl abort the PUT before its
 * announced length, which S3 discards; whatever a server keeps anyway
 * stays under the key's reservation, which the reconciler frees.
 */
static int
files_store_put(struct s3 *s3, const char *key, const char *ctype,
    int64_t length, files_read_fn read, void *arg, struct s3_sha256 *sha,
    int *status, char **cause)
{
	struct files_part	 p = { read, arg, sha, 0, NULL };

	if (s3_put(s3, key, ctype, files_part_read, &p, length, NULL,
	    cause) == 0)
		return 0;
	files_part_failed(&p, status, cause);
	return -1;
}

/*
 * A body of known `length` over s3.single_put_max: a multipart upload
 * whose parts stream from the client to S3 while they arrive, holding no
 * memory.
 */
static int
files_store_streamed(struct s3 *s3, const struct conf_postgres *pg,
    const char *key, const char *ctype, int64_t length, files_read_fn read,
    void *arg, struct s3_sha256 *sha, struct files_mpu *m,
    int *status, char **cause)
{
	struct files_part	 p = { read, arg, sha, 0, NULL };
	int64_t			 part = s3_part_size(s3), off, size;
	char			*etag;

	if ((length + part - 1) / part > S3_PART_MAX) {
		*cause = xstrdup("the file needs more parts than S3 allows: "
		    "raise s3.part_size");
		return -1;
	}
	if (files_mpu_begin(s3, pg, key, ctype, m, cause) != 0)
		return -1;
	for (off = 0; off < length; off += size) {
		size = length - off < part ? length - off : part;
		if (s3_mpu_part_stream(s3, key, m->upload_id, m->nparts + 1,
		    files_part_read, &p, size, &etag, cause) != 0) {
			files_part_failed(&p, status, cause);
			return -1;
		}
		m->etags = xreallocarray(m->etags, (size_t)m->nparts + 1,
		    sizeof *m->etags);
		m->etags[m->nparts++] = etag;
	}
	return s3_mpu_complete(s3, key, m->upload_id, m->etags, m->nparts,
	    cause);
}

/*
 * The upload is over: completed, or aborted after a failure.  Its id is
 * forgotten once nothing is left of it; an upload S3 refused to abort
 * stays recorded, and the reconciler frees it later (s3_mpu_discard).
 */
static void
files_mpu_end(struct s3 *s3, const struct conf_postgres *pg, const char *key,
    const char *upload_id, int completed)
{
	char	*why = NULL;
	int	 rv = 0;

	if (!completed && (rv = s3_mpu_abort(s3, key, upload_id, &why)) != 0) {
		log_warnx("%s: the failed upload's parts stay in S3 until the "
		    "reconciler frees them: %s", key, why);
		free(why);
		return;
	}
	if (storage_upload(pg, key, NULL, &why) != 0) {
		log_warnx("%s: upload %s stays recorded: %s", key, upload_id,
		    why);
		free(why);
	}
}

int
files_store(struct s3 *s3, const struct conf_postgres *pg, const char *key,
    const char *ctype, int64_t length, files_read_fn read, void *arg,
    struct files_object *obj, int *status, char **cause)
{
	struct s3_sha256		*sha = s3_sha256_new();
	struct files_mpu		 m = { NULL, NULL, 0 };
	size_t				 part = (size_t)s3_part_size(s3);
	char				*buf = NULL;
	ssize_t				 len;
	int				 eof = 0, rv = -1;

	memset(obj, 0, sizeof *obj);
	*status = 503;
	if (length >= 0) {
		if ((length <= s3_single_put_max(s3) ? files_store_put(s3, key,
		    ctype, length, read, arg, sha, status, cause) :
		    files_store_streamed(s3, pg, key, ctype, length, read, arg,
		    sha, &m, status, cause)) != 0)
			goto out;
		obj->size = length;
		goto done;
	}
	/*
	 * Unknown length (chunked, a form's file): parts are read whole, so
	 * memory holds one part.  A body that fits in one goes up in one PUT,
	 * signed with its hash; a longer one needs a multipart upload.
	 */
	buf = xmalloc(part);
	for (;;) {
		if ((len = files_fill(read, arg, buf, part, &eof, status,
		    cause)) < 0)
			goto out;
		s3_sha256_update(sha, buf, (size_t)len);
		obj->size += len;
		if (eof && m.nparts == 0) {
			if (s3_put_buf(s3, key, ctype, buf, (size_t)len,
			    cause) != 0)
				goto out;
			break;
		}
		/* A body that ends on a part boundary has no empty last part. */
		if (len > 0 && files_mpu_part(s3, pg, key, ctype, &m, buf,
		    (size_t)len, cause) != 0)
			goto out;
		if (eof) {
			if (s3_mpu_complete(s3, key, m.upload_id, m.etags,
			    m.nparts, cause) != 0)
				goto out;
			break;
		}
	}
done:
	s3_sha256_end(sha, obj->sha256);
	sha = NULL;
	rv = 0;
out:
	s3_sha256_end(sha, NULL);
	if (m.upload_id != NULL)
		files_mpu_end(s3, pg, key, m.upload_id, rv == 0);
	files_mpu_clear(&m);
	free(buf);
	return rv;
}
