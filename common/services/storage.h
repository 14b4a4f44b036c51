/*
 * storage.h — keeping S3 free of leaks: every key pfo3 writes is reserved
 * in PostgreSQL (table s3_objects, db/migrations/006_storage.sql) before
 * its PUT, with the multipart UploadId once known, and becomes 'linked'
 * when the row naming it commits (triggers of the migration).  The
 * reconciler compares that record with the bucket:
 *
 * - objects without row: a reservation older than storage.stale_after
 *   whose row never committed (the worker died, a timed-out PUT landed
 *   after all, the row's statement failed and the cleanup too), and,
 *   where S3 can list, keys under our prefixes that were never reserved
 *   ("strangers": not ours, so only reported, unless asked);
 * - rows without object: a files, thumbnails or report row whose object
 *   is gone (HEAD answers 404);
 * - stale multipart uploads: recorded upload ids older than the bound,
 *   and, where S3 lists them, uploads under our prefixes older than it.
 *
 * Repair deletes our orphans and frees stale uploads (s3_mpu_discard),
 * deletes strangers only when asked, and for a row without object:
 * deletes a file's row (its content is lost), deletes a thumbnail's row
 * and queues the thumbnail job again, and takes a report's key out of
 * its job's result (the PDF link then answers 404).
 */
#ifndef PFO3_STORAGE_H
#define PFO3_STORAGE_H

#include <stdint.h>

#include <jansson.h>

#include "conf.h"

struct s3;

/* The kinds of object, as s3_objects.kind spells them. */
#define STORAGE_FILE		"file"
#define STORAGE_THUMBNAIL	"thumbnail"
#define STORAGE_REPORT		"report"

/*
 * Reserves `key` before its PUT.  A key already linked (a job run again
 * rewrites its objects) stays linked; a reserved one is reserved anew.
 * 0, or -1 with *cause: then nothing must be written.
 */
int	storage_reserve(const struct conf_postgres *pg, const char *key,
	    const char *kind, char **cause);
/* Records the multipart upload under way for `key` (NULL: none any
 * more).  0, or -1 with *cause. */
int	storage_upload(const struct conf_postgres *pg, const char *key,
	    const char *upload_id, char **cause);
/* Drops the record of `key` once its object is deleted (logged on
 * failure: the reconciler drops it later). */
void	storage_forget(const struct conf_postgres *pg, const char *key);

/* What a reconciliation does. */
struct storage_opts {
	int64_t	 stale_after_ms;	/* reservations younger are in flight */
	int	 repair;		/* remove what is found */
	int	 strangers;		/* repair deletes unreserved objects */
	int	 deep;			/* list the bucket, HEAD every row */
	int	 max_items;		/* per list in the reply */
};

/*
 * One reconciliation (storage.h's comment).  Returns
 * {"objects_without_row":[…],"rows_without_object":[…],
 * "stale_multipart":[…],"repaired":N,"errors":[…],…}, or NULL with
 * *cause when PostgreSQL cannot be read.  Runs on the calling thread's
 * database connection (db.h) and `s3`.
 */
json_t	*storage_scan(const struct conf_postgres *pg, struct s3 *s3,
	    const struct storage_opts *o, char **cause);

#endif
