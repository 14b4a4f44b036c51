/*
 * files.h — uploaded files: their rows, their objects, and what the file
 * handlers (h-files.c, h-upload.c) share.  files.c holds every statement
 * on the `files` and `thumbnails` tables (the storage reconciler's
 * repairs in common/services/storage-scan.c aside).
 *
 * A file is an object in S3 under files/<owner>/<id> and a row in
 * `files` written after the object is stored, so a row always names an
 * object.  Thumbnails (jobs-thumb.c) are objects under
 * thumbnails/<id>/<size>.jpg and rows in `thumbnails`.  Keys are made of
 * ids alone, never of anything a client sent.
 */
#ifndef PFO3_FILES_H
#define PFO3_FILES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

struct workerd;
struct response;

/* One file as read from the database. */
struct files_row {
	int64_t	 id;
	int64_t	 size;
	char	*s3_key;
	char	*content_type;
	char	*sha256;
	json_t	*json;		/* the file as the API shows it */
};

/* The columns files_row_from() reads, in order, for `f` a files row. */
#define FILES_COLUMNS \
	"f.id, f.size, f.s3_key, f.content_type, f.sha256, f.original_name, " \
	"to_char(f.created_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), " \
	"coalesce((SELECT json_agg(json_build_object('size', t.size, " \
	"'width', t.width, 'height', t.height, 'url', '/api/v1/files/' || " \
	"f.id || '/thumbnail?size=' || t.size) ORDER BY t.size) " \
	"FROM thumbnails t WHERE t.file_id = f.id), '[]')"

/* Fills `row` from row `i` of a result of FILES_COLUMNS. */
void	files_row_from(const PGresult *res, int i, struct files_row *row);
void	files_row_clear(struct files_row *row);

/*
 * Reads file `id` if `owner` owns it: 1 and *row, 0 when there is no such
 * file for this owner (another user's file does not exist for him), -1
 * and *cause when PostgreSQL failed.
 */
int	files_load(struct workerd *w, int64_t id, int64_t owner,
	    struct files_row *row, char **cause);

/*
 * The page of `owner`'s files with ids below `before` (0: from the
 * newest), newest first, at most `limit` rows: a result of FILES_COLUMNS
 * the caller PQclear-s, or NULL and *cause.
 */
PGresult *files_list(struct workerd *w, int64_t owner, int64_t before,
	    int64_t limit, char **cause);

/* A new id for a file, before anything is stored: 0, or -1 and *cause. */
int	files_new_id(struct workerd *w, int64_t *id, char **cause);

/* A file whose object is stored, to be recorded by files_create. */
struct files_new {
	int64_t		 id;		/* from files_new_id */
	int64_t		 owner;
	const char	*s3_key;
	int64_t		 size;
	const char	*content_type;
	const char	*sha256;
	const char	*name;
	int		 thumbnail;	/* queue its thumbnail job */
	int		 photo;		/* make it the owner's photo */
	const char	*dedup_key;	/* idem_dedup_key, or NULL */
};

/*
 * Records file `f` in one statement, with the thumbnail job of an image
 * (in `jobs`) and, for a photo, the owner's users.photo_file_id: all or
 * nothing.  0 with *job (the job's id, 0: none) and *old_photo (the photo
 * it replaced, 0: none); -1 and *cause.
 */
int	files_create(struct workerd *w, const struct files_new *f,
	    int64_t *job, int64_t *old_photo, char **cause);

/*
 * The file an earlier try of the same keyed upload recorded (`dedup_key`,
 * idem_dedup_key): 1 with *id, 0 when there is none, -1 and *cause.
 */
int	files_find_key(struct workerd *w, const char *dedup_key, int64_t *id,
	    char **cause);

/*
 * Reads what a thumbnail job needs of file `id` (decimal): a result with
 * owner_id, s3_key, size, content_type (no row: no such file) the caller
 * PQclear-s, or NULL and *cause.
 */
PGresult *files_source(struct workerd *w, const char *id, char **cause);

/* One thumbnail made for a file. */
struct files_thumb {
	int		 size;
	const char	*s3_key;
	int		 width;
	int		 height;
};

/*
 * Records the `n` thumbnails of file `id` (decimal) in one statement (an
 * upsert: safe to run again).  0; 1 when the file's row is gone; -1 and
 * *cause.
 */
int	files_thumbs_record(struct workerd *w, const char *id,
	    const struct files_thumb *t, int n, char **cause);

/*
 * Deletes file `id` of `owner`: its objects first (the file's and its
 * thumbnails'), then its row, the row locked all along so a thumbnail
 * job cannot record new objects meanwhile.  Stopping half-way leaves a
 * row whose objects may be gone, which the next DELETE finishes; never
 * an object that no row names.  1 done, 0 no such file, -1 with *what ("storage",
 * "database") and *cause.
 */
int	files_delete(struct workerd *w, int64_t id, int64_t owner,
	    const char **what, char **cause);

/* The S3 key of a file, and of one of its thumbnails. */
void	files_key(char *buf, size_t len, int64_t owner, int64_t id);
void	files_thumb_key(char *buf, size_t len, int64_t id, int size);

/* Answers 503 naming the dependency ("database", "storage"). */
void	files_unavailable(struct workerd *w, struct response *resp,
	    const char *what);

#endif
