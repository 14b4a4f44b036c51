/*
 * files.h — uploaded files: their rows, their objects, and what the file
 * handlers (h-files.c, h-upload.c) share.
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
