/* storage-keys.c — reserving keys before their PUT (see storage.h). */
#include <stdlib.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"
#include "storage.h"

int
storage_reserve(const struct conf_postgres *pg, const char *key,
    const char *kind, char **cause)
{
	const char	*params[2] = { key, kind };
	PGresult	*res;

	/* Idempotent: safe to run again after a lost connection. */
	res = db_exec_retry(pg, "INSERT INTO s3_objects (key, kind) "
	    "VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET reserved_at = "
	    "now() WHERE s3_objects.state = 'reserved'", 2, params, cause);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
storage_upload(const struct conf_postgres *pg, const char *key,
    const char *upload_id, char **cause)
{
	const char	*params[2] = { key, upload_id };
	PGresult	*res;

	res = db_exec_retry(pg, "UPDATE s3_objects SET upload_id = $2 "
	    "WHERE key = $1", 2, params, cause);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

void
storage_forget(const struct conf_postgres *pg, const char *key)
{
	const char	*params[1] = { key };
	PGresult	*res;
	char		*cause = NULL;

	res = db_exec_retry(pg, "DELETE FROM s3_objects WHERE key = $1", 1,
	    params, &cause);
	if (res == NULL) {
		log_warnx("%s: its record stays for the reconciler: %s", key,
		    cause);
		free(cause);
		return;
	}
	PQclear(res);
}
