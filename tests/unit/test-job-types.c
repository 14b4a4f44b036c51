/*
 * test-job-types.c — the job types are declared once (common/job-types.c)
 * and everything else follows that table: the broker's list (the queues
 * and bindings its topology declares, the queues ctld reports and the
 * console shows), the worker's handlers and retry policies, and the rows
 * the migrations insert into job_types, which jobs.type references.
 */
#include <dirent.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "conf.h"
#include "job-types.h"
#include "jobs-int.h"
#include "tap.h"
#include "testutil.h"
#include "workerd.h"
#include "xmalloc.h"

/* Every migration's text, one after the other. */
static char *
migrations_text(void)
{
	const char	*srcdir = getenv("PFO3_SRCDIR");
	struct dirent	*e;
	char		*dir, *path, *one, *all = xstrdup("");
	DIR		*d;

	if (srcdir == NULL || *srcdir == '\0')
		srcdir = ".";
	dir = xasprintf("%s/db/migrations", srcdir);
	if ((d = opendir(dir)) == NULL) {
		tap_diag("cannot open %s", dir);
		free(dir);
		return all;
	}
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, ".sql") == NULL)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if ((one = testutil_read(path, NULL)) != NULL) {
			all = xrealloc(all, strlen(all) + strlen(one) + 1);
			strcat(all, one);
			free(one);
		}
		free(path);
	}
	closedir(d);
	free(dir);
	return all;
}

/* Whether a migration inserts `name` into job_types. */
static int
inserted(const char *sql, const char *name)
{
	const char	*p, *end;
	char		*quoted = xasprintf("'%s'", name);
	int		 found = 0;

	for (p = sql; !found && (p = strstr(p, "INSERT INTO job_types")) !=
	    NULL; p++) {
		if ((end = strchr(p, ';')) == NULL)
			end = p + strlen(p);
		found = memmem(p, (size_t)(end - p), quoted,
		    strlen(quoted)) != NULL;
	}
	free(quoted);
	return found;
}

int
main(void)
{
	struct workerd	 w;
	regex_t		 re;
	char		*sql;
	int		 i, j, n, names_ok = 1, unique = 1, found = 1, rows = 1;

	tap_plan(9);

	for (n = 0; job_types[n] != NULL; n++)
		;
	tap_is_int(n, JOB_NTYPES, "job_types has JOB_NTYPES names, NULL-ended");

	/* A name is a routing key, a queue's suffix and a row's key. */
	regcomp(&re, "^[a-z][a-z0-9_]{0,62}$", REG_EXTENDED | REG_NOSUB);
	for (i = 0; i < JOB_NTYPES; i++) {
		names_ok &= regexec(&re, job_types[i], 0, NULL, 0) == 0;
		found &= job_type_find(job_types[i]) == i;
		for (j = 0; j < i; j++)
			unique &= strcmp(job_types[i], job_types[j]) != 0;
	}
	regfree(&re);
	tap_ok(names_ok, "every name is lowercase letters, digits and _");
	tap_ok(unique, "no name twice");
	tap_ok(found, "job_type_find finds each type at its index");
	tap_is_int(job_type_find("no-such-type"), -1,
	    "job_type_find: -1 for an unknown name");

	/* The broker's list is the table itself: the topology declares a
	 * queue pfo3.jobs.<name> bound with key <name> for each. */
	for (i = 0; broker_job_types[i] != NULL; i++)
		;
	tap_ok(i == JOB_NTYPES && broker_job_types[0] == job_types[0],
	    "the broker's job types are job_types");

	/* The worker has a row for each type, and no type retries more
	 * than amqp.max_retries. */
	memset(&w, 0, sizeof w);
	w.conf.amqp.max_retries = 5;
	for (i = 0; i < JOB_NTYPES; i++)
		rows &= jobs_types[i].run != NULL &&
		    jobs_type_retries(&w, i) <= 5 &&
		    jobs_type_retries(&w, i) >= 0;
	tap_ok(rows, "the worker handles every type, retrying at most "
	    "amqp.max_retries times");
	tap_is_int(jobs_type_retries(&w, -1), 5,
	    "an unknown type retries amqp.max_retries times");

	/* The database refuses a type no migration inserted. */
	sql = migrations_text();
	found = 1;
	for (i = 0; i < JOB_NTYPES; i++) {
		if (!inserted(sql, job_types[i])) {
			tap_diag("no migration inserts '%s' into job_types",
			    job_types[i]);
			found = 0;
		}
	}
	free(sql);
	tap_ok(found, "a migration inserts every type into job_types");
	return tap_done();
}
