/*
 * jobs-db.h — the SQL of the `jobs` and `job_types` tables.
 *
 * The worker's other files reach those tables only through these
 * functions (the storage reconciler in common/services/storage-scan.c
 * aside: it reads jobs for the reports it repairs).
 */
#ifndef PFO3_JOBS_DB_H
#define PFO3_JOBS_DB_H

struct workerd;

/*
 * Compares the job types of the program (common/job-types.c) with the
 * rows of job_types.  A type of the program without a row is an error
 * (-1, *cause naming it and the fix): its jobs could not be stored.  A
 * row the program does not know (a newer release ran) is logged.  0 when
 * every type of the program has its row.
 */
int	jobs_db_check_types(struct workerd *w, char **cause);

#endif
