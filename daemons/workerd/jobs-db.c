/* jobs-db.c — see jobs-db.h. */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"
#include "job-types.h"
#include "jobs-db.h"
#include "log.h"
#include "tres.h"
#include "xmalloc.h"

/* Whether `name` is a value of column 0 of `res`. */
static int
jobs_db_has(const PGresult *res, const char *name)
{
	int	i;

	for (i = 0; i < PQntuples(res); i++) {
		if (strcmp(PQgetvalue(res, i, 0), name) == 0)
			return 1;
	}
	return 0;
}

int
jobs_db_check_types(struct workerd *w, char **cause)
{
	PGresult	*res;
	char		*err = NULL;
	int		 i;

	if ((res = tres_db_exec_retry(w, "SELECT name FROM job_types ORDER BY "
	    "name", 0, NULL, &err)) == NULL) {
		*cause = xasprintf("job types: %s", err);
		free(err);
		return -1;
	}
	for (i = 0; i < JOB_NTYPES; i++) {
		if (!jobs_db_has(res, job_types[i])) {
			*cause = xasprintf("job type '%s' (common/job-types.c) "
			    "has no row in the database's job_types table: "
			    "its jobs could not be stored; a migration must "
			    "insert it", job_types[i]);
			PQclear(res);
			return -1;
		}
	}
	for (i = 0; i < PQntuples(res); i++) {
		if (job_type_find(PQgetvalue(res, i, 0)) == -1)
			log_warnx("job type '%s' is in the database but not in "
			    "this program: a newer release ran on this "
			    "database", PQgetvalue(res, i, 0));
	}
	PQclear(res);
	return 0;
}
