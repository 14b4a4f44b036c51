/*
 * s3.h — a small S3 client: objects up and down, multipart uploads, and a
 * bucket probe, signed with SigV4 by libcurl.
 *
 * One struct s3 per thread: it owns one curl easy handle that is reused for
 * every request, so keep-alive connections survive between calls.  A struct
 * s3 is never shared between threads at the same time.
 *
 * Bodies are streamed: s3_put() pulls the body through a read callback and
 * s3_get() pushes it through a write callback, so memory stays bounded
 * whatever the object size.  Multipart parts are passed in memory (hashed
 * before they are sent) or streamed (s3_mpu_part_stream).
 *
 * Every failure returns -1 (or S3_NOTFOUND) and sets *cause to one line such
 * as "S3 PUT files/1: 403 SignatureDoesNotMatch: The request signature …".
 * Messages never hold the secret key or the Authorization header.
 */
#ifndef PFO3_S3_H
#define PFO3_S3_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"

#define S3_NOTFOUND	-2	/* s3_get: the object does not exist (404) */
#define S3_REFUSED	-3	/* the server does not do this (405, 501) */

#define S3_PART_MIN	(5 * 1024 * 1024)	/* every part but the last */
#define S3_PART_MAX	10000			/* highest part number */

struct s3;

/*
 * Called for the next bytes of an upload: fills up to `len` bytes of `buf`
 * and returns how many, or -1 to abort.  It is never asked for more than
 * the announced size in all; returning 0 before that fails the upload.
 */
typedef ssize_t	(*s3_read_cb)(void *buf, size_t len, void *arg);
/* Called with each piece of a download; returns 0, or -1 to abort. */
typedef int	(*s3_write_cb)(const void *data, size_t len, void *arg);

/*
 * Initialises libcurl and libsodium for the whole process.  Must be called
 * once, before any thread is started (curl_global_init is not thread-safe).
 */
int	s3_global_init(char **cause);
/* Undoes s3_global_init() once every thread is gone. */
void	s3_global_cleanup(void);

/*
 * Makes a client for `c` (copied: `c` may be freed afterwards).  Empty
 * access_key/secret_key are read from $PFO3_S3_ACCESS_KEY and
 * $PFO3_S3_SECRET_KEY.  NULL and *cause on a bad endpoint or no keys.
 */
struct s3 *s3_new(const struct conf_s3 *c, char **cause);
/* Frees the client and closes its connections.  NULL is allowed. */
void	s3_free(struct s3 *s3);

/*
 * Stores `size` bytes read from `read_cb` under `key` in one PUT.
 * `content_type` NULL means application/octet-stream.  `sha256_hex` is the
 * hex SHA-256 of the body when the caller knows it (S3 then checks it),
 * or NULL (the body is sent unsigned).
 */
int	s3_put(struct s3 *s3, const char *key, const char *content_type,
	    s3_read_cb read_cb, void *arg, int64_t size, const char *sha256_hex,
	    char **cause);
/* Same as s3_put(), from memory. */
int	s3_put_buf(struct s3 *s3, const char *key, const char *content_type,
	    const void *data, size_t len, char **cause);
/*
 * Streams the object `key` to `write_cb` (required; error replies never
 * reach it).  Returns 0 and sets *size (may be NULL) to the bytes
 * delivered, S3_NOTFOUND when there is no such object, or -1.  *cause is
 * set for both failures.  After a failure the receiver may have been given
 * part of the object.
 */
int	s3_get(struct s3 *s3, const char *key, s3_write_cb write_cb, void *arg,
	    int64_t *size, char **cause);
/* Deletes `key`; deleting a missing object succeeds (as in S3). */
int	s3_delete(struct s3 *s3, const char *key, char **cause);
/*
 * Checks that the bucket exists and the keys are accepted (HEAD on the
 * bucket).  *latency_ms (may be NULL) is the duration of the request.
 */
int	s3_head_bucket(struct s3 *s3, double *latency_ms, char **cause);
/*
 * A probe: HEAD of S3_PING_KEY, a key never written, so that S3 answers
 * (a 404 counts) and checks the signature without the cost of a bucket
 * request, which some servers answer by listing the bucket and which a
 * large upload in progress can then hold for minutes.  0 and
 * *latency_ms (may be NULL); -1 and *cause.
 */
#define S3_PING_KEY	"pfo3-probe"
int	s3_ping(struct s3 *s3, double *latency_ms, char **cause);

/*
 * Multipart upload.  s3_mpu_begin sets *upload_id (caller frees).  Parts
 * are numbered from 1 to S3_PART_MAX; each but the last must be at least
 * S3_PART_MIN bytes.  s3_mpu_part sets *etag (caller frees), which is
 * passed back in order to s3_mpu_complete.  After a failure, call
 * s3_mpu_abort so S3 frees the stored parts.
 */
int	s3_mpu_begin(struct s3 *s3, const char *key, const char *content_type,
	    char **upload_id, char **cause);
int	s3_mpu_part(struct s3 *s3, const char *key, const char *upload_id,
	    int partno, const void *data, size_t len, char **etag, char **cause);
/*
 * A part of `size` bytes streamed from `read_cb` as it is sent: nothing
 * is held in memory, so the part is not signed (UNSIGNED-PAYLOAD) — the
 * request is.  Same contract as s3_mpu_part otherwise.
 */
int	s3_mpu_part_stream(struct s3 *s3, const char *key,
	    const char *upload_id, int partno, s3_read_cb read_cb, void *arg,
	    int64_t size, char **etag, char **cause);
int	s3_mpu_complete(struct s3 *s3, const char *key, const char *upload_id,
	    char *const *etags, int nparts, char **cause);
/*
 * Abandons an upload (AbortMultipartUpload).  An upload that is already
 * gone (404) counts as done: returns 0.  A server that refuses to abort
 * (405 or 501: some S3 emulators) keeps the parts: S3_REFUSED with
 * *cause, and the caller must free them another way (s3_mpu_discard).
 */
int	s3_mpu_abort(struct s3 *s3, const char *key, const char *upload_id,
	    char **cause);
/*
 * Frees an upload's parts by every means S3 offers: abort first; when
 * the server refuses, complete it with an empty part 1 (completing frees
 * every part) and delete the object it made.  Only for a key that holds
 * no object of value: the completion replaces it.  0 with *how ("abort",
 * "gone", "complete+delete"), or -1 with *cause.
 */
int	s3_mpu_discard(struct s3 *s3, const char *key, const char *upload_id,
	    const char **how, char **cause);

/*
 * HEAD of `key`: 0 when the object exists, S3_NOTFOUND when it does not,
 * -1 with *cause when S3 did not say.
 */
int	s3_head(struct s3 *s3, const char *key, char **cause);
/*
 * Called for each object (upload_id NULL) or multipart upload listed,
 * with its time (seconds since the epoch; 0 unknown).  Returns 0, or
 * non-zero to stop the listing.
 */
typedef int	(*s3_list_cb)(const char *key, const char *upload_id,
	    int64_t when, void *arg);
/* Every object whose key starts with `prefix` (ListObjectsV2, page by
 * page).  0, or -1 with *cause. */
int	s3_list(struct s3 *s3, const char *prefix, s3_list_cb cb, void *arg,
	    char **cause);
/* Every multipart upload under way under `prefix` (ListMultipartUploads).
 * 0; S3_REFUSED with *cause when the server cannot list them; -1. */
int	s3_list_uploads(struct s3 *s3, const char *prefix, s3_list_cb cb,
	    void *arg, char **cause);
/*
 * Sets the bucket's lifecycle to abort multipart uploads `days` days
 * after they began, unless the bucket has a lifecycle already (it is
 * then left alone: a PUT would replace the operator's rules).  0 set or
 * left; S3_REFUSED when the server has no lifecycle rules; -1.
 */
int	s3_lifecycle_abort(struct s3 *s3, int days, char **cause);

/* The configured part size (bytes), for callers that split bodies. */
int64_t	s3_part_size(const struct s3 *s3);
/* The largest body sent in one PUT (s3.single_put_max); a larger one
 * goes as a multipart upload. */
int64_t	s3_single_put_max(const struct s3 *s3);

/*
 * SHA-256 of a body on its way (libcrypto's, which keeps up with S3: see
 * s3-sha256.c).  s3_sha256_end writes the lowercase hex digest into `hex`
 * (S3_SHA256_HEX bytes; NULL: none) and frees the state.
 */
#define S3_SHA256_HEX	65
struct s3_sha256;
struct s3_sha256 *s3_sha256_new(void);
void	s3_sha256_update(struct s3_sha256 *h, const void *data, size_t len);
void	s3_sha256_end(struct s3_sha256 *h, char *hex);
/* The hex SHA-256 of `len` bytes, at once. */
void	s3_sha256_hex(const void *data, size_t len, char *hex);
/* Connections opened so far by this client (reuse keeps it low). */
int64_t	s3_connections(const struct s3 *s3);

#endif
