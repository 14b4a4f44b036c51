/*
 * form.h — the file of a multipart/form-data body (RFC 7578), read as it
 * arrives.
 *
 * A browser's upload form sends its file as one part of such a body,
 * among its text fields.  The reader finds the first part that carries a
 * file (a filename in its Content-Disposition), gives its name and media
 * type, then its bytes as they come, holding no more than a buffer's worth
 * however large the file.  The other parts are skipped; the body must end
 * with its closing delimiter, or the file is refused as cut short.
 *
 * Every failure returns -1 with an HTTP status (400 for a malformed body,
 * 422 for a form without a file, or the status of the underlying read)
 * and a cause that stays valid until form_free().
 */
#ifndef PFO3_FORM_H
#define PFO3_FORM_H

#include <stddef.h>
#include <sys/types.h>

#define FORM_MAX_NAME		255	/* bytes of a file name kept */

/* Where the body comes from: request_read()'s shape. */
typedef ssize_t (*form_read_fn)(void *arg, void *buf, size_t len,
	    int *status, const char **cause);

struct form;

/*
 * 1 when `content_type` is multipart/form-data (whatever its parameters),
 * else 0.
 */
int	form_is_multipart(const char *content_type);
/*
 * A reader of the body described by `content_type`, which must name a
 * boundary; each part's header block may have up to `max_headers` bytes
 * (worker.max_header_size), more is 400.  NULL with *cause (the caller
 * frees it) when the boundary is missing or malformed.
 */
struct form *form_new(const char *content_type, size_t max_headers,
	    form_read_fn read, void *arg, char **cause);
void	form_free(struct form *f);

/*
 * Skips to the first file part and reads its headers: *name is the file
 * name without any directory part (may be ""), *ctype the part's media
 * type or "application/octet-stream"; both borrowed until form_free().
 */
int	form_file(struct form *f, const char **name, const char **ctype,
	    int *status, const char **cause);
/* Reads the file's bytes: their number, 0 at its end, or -1. */
ssize_t	form_read(struct form *f, void *buf, size_t len, int *status,
	    const char **cause);
/*
 * Reads the rest of the body (the parts after the file) up to the closing
 * delimiter and the end.  0, or -1 when the body is malformed or cut.
 */
int	form_finish(struct form *f, int *status, const char **cause);

#endif
