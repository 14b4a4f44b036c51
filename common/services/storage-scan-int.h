/*
 * storage-scan-int.h — what the reconciler's files share: the prefixes of
 * our keys, the state of one run, and the helpers each file provides.
 * Only storage-scan.c and storage-bucket.c include it.
 */
#ifndef PFO3_STORAGE_SCAN_INT_H
#define PFO3_STORAGE_SCAN_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "storage.h"

/* The prefixes of every key pfo3 writes, and their kinds. */
struct scan_prefix {
	const char	*prefix;
	const char	*kind;
};
#define SCAN_NPREFIXES	3
extern const struct scan_prefix scan_prefixes[SCAN_NPREFIXES];

#define SCAN_BATCH	500	/* keys per membership query */
#define SCAN_MAX	"1000"	/* stale reservations handled per run */

/* An object or upload the bucket listed. */
struct scan_item {
	char		*key;
	char		*upload_id;	/* uploads only */
	int64_t		 when;		/* seconds since the epoch, 0 unknown */
};

struct scan_list {
	struct scan_item	*v;
	size_t			 n;
	size_t			 cap;
};

struct scan {
	const struct conf_postgres	*pg;
	struct s3			*s3;
	const struct storage_opts	*o;
	json_t				*reply;
	json_t				*orphans;	/* objects without row */
	json_t				*rows;		/* rows without object */
	json_t				*mpu;		/* stale multipart */
	json_t				*errors;
	int64_t				 repaired;
	int64_t				 dropped;	/* empty reservations */
	struct scan_list		 objects;	/* sorted once listed */
	int				 listed;	/* objects is complete */
	int				 halted;	/* S3 failed: stop here */
};

/* storage-scan.c */
void	scan_s3_error(struct scan *s, const char *what, char *cause);
void	scan_error(struct scan *s, const char *what, char *cause);
PGresult	*scan_sql(struct scan *s, const char *sql, int n,
		    const char *const *p);
const char	*scan_kind(const char *key);

/* storage-bucket.c: the bucket's own listings */
void	scan_list_free(struct scan_list *l);
int	scan_item_cmp(const void *a, const void *b);
void	scan_strangers(struct scan *s);
void	scan_list_objects(struct scan *s);
void	scan_uploads(struct scan *s);

#endif
