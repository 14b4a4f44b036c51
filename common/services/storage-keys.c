/* storage-keys.c — reserving keys before their PUT (see storage.h). */
#include <stdlib.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"
#include "storage.h"

/* Runs one statement on `key`'s record ($1; `value` is $2 when nparams
 * is 2).  Each is idempotent, so safe to run again after a lost
 * connection.  0, or -1 with *cause. */
static int
storage_sql(const struct conf_postgres *pg, const char *sql, int nparams,
    const char *key, const char *value, char **cause)
{
	const char	*params[2] = { key, value };
	PGresult	*res;

	if ((res = db_exec_retry(pg, sql, nparams, params, cause)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
storage_reserve(const struct conf_postgres *pg, const char *key,
    const char *kind, char **cause)
{
	return storage_sql(pg, "INSERT INTO s3_objects (key, kind) VALUES "
	    "($1, $2) ON CONFLICT (key) DO UPDATE SET reserved_at = now() "
	    "WHERE s3_objects.state = 'reserved'", 2, key, kind, cause);
}

int
storage_upload(const struct conf_postgres *pg, const char *key,
    const char *upload_id, char **cause)
{
	return storage_sql(pg, "UPDATE s3_objects SET upload_id = $2 WHERE "
	    "key = $1", 2, key, upload_id, cause);
}

void
storage_forget(const struct conf_postgres *pg, const char *key)
{
	char	*cause = NULL;

	if (storage_sql(pg, "DELETE FROM s3_objects WHERE key = $1", 1, key,
	    NULL, &cause) != 0) {
		log_warnx("%s: its record stays for the reconciler: %s", key,
		    cause);
		free(cause);
	}
}
