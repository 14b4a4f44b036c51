/*
 * job-types.h — the job types of the system, declared once.
 *
 * Everything else is derived from this table: the routing key and queue
 * of each type (pfo3.jobs.<name>, bound to pfo3.jobs by the broker
 * topology), the queues ctld reports and the console shows, the worker's
 * table of handlers and retry policies (daemons/workerd/jobs.c, indexed
 * by enum job_type_id), and the rows of the database's job_types table,
 * which jobs.type references: the worker's --migrate refuses to finish
 * when a type of this table is missing there.
 *
 * Adding a type: a row here (and its enum value), a handler row in
 * jobs.c, and a migration that inserts its name into job_types.
 */
#ifndef PFO3_JOB_TYPES_H
#define PFO3_JOB_TYPES_H

enum job_type_id {
	JOB_REPORT,
	JOB_THUMBNAIL,
	JOB_TASK,
	JOB_NTYPES
};

/*
 * The name of each type, indexed by enum job_type_id and NULL-ended: the
 * value of jobs.type, the routing key on pfo3.jobs and the suffix of the
 * type's queue.  Names never change once released: rows and durable
 * queues carry them.
 */
extern const char *const job_types[JOB_NTYPES + 1];

/* The id of type `name`, or -1 when no type has that name. */
int	job_type_find(const char *name);

#endif
