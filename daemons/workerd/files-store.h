/*
 * files-store.h — an uploaded file's bytes into S3, as they arrive.
 */
#ifndef PFO3_FILES_STORE_H
#define PFO3_FILES_STORE_H

#include <stdint.h>
#include <sys/types.h>

struct s3;
struct conf_postgres;

/* Where the bytes come from: request_read()'s and form_read()'s shape. */
typedef ssize_t (*files_read_fn)(void *arg, void *buf, size_t len,
	    int *status, const char **cause);

/* What was stored. */
struct files_object {
	int64_t	 size;
	char	 sha256[65];	/* lowercase hex */
};

/*
 * Copies what `read` gives into the object `key`.  A body of known
 * `length` (its exact size; -1 unknown) streams from `read` to S3 while it
 * arrives, holding no part in memory: in one PUT up to
 * s3.single_put_max, else as a multipart upload in parts of s3.part_size.
 * A body of unknown length is read a part at a time, so memory holds one
 * part whatever the size: one signed PUT when it fits in a part, else a
 * multipart upload.  The SHA-256 of the whole is computed on the way.
 * The key must be reserved (storage.h): a multipart upload's id is
 * recorded with it in `pg` while it runs.  Returns 0 with *obj; on
 * failure nothing is meant to be left in S3 (a PUT is cut short, which
 * S3 discards; a multipart upload is aborted, or stays recorded for the
 * reconciler when S3 refuses to abort; what a server keeps anyway stays
 * under the reservation, which the reconciler frees), and -1 with
 * *status — the read's own (400, 408, 413, …) or 503 when S3 failed —
 * and *cause (the caller frees it).
 */
int	files_store(struct s3 *s3, const struct conf_postgres *pg,
	    const char *key, const char *ctype, int64_t length,
	    files_read_fn read, void *arg, struct files_object *obj,
	    int *status, char **cause);

#endif
