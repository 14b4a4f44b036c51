/*
 * jobs-stats.c — the jobs counters for the control socket's `stats` and
 * for /metrics.  Both run on the event thread; the counters are atomics
 * written by the consumer, the sweeper and pool threads.
 */
#include <stdio.h>

#include <jansson.h>

#include "jobs.h"
#include "jobs-int.h"
#include "workerd.h"

/* Counters read as 0 before jobs_start and after jobs_stop. */
#define JOBS_COUNTER(j, t, field) \
	((j) != NULL ? (double)atomic_load(&(j)->count[t].field) : 0.0)
#define JOBS_TOTAL(j, field) \
	((j) != NULL ? (json_int_t)atomic_load(&(j)->field) : 0)

json_t *
jobs_stats(struct workerd *w)
{
	struct jobs	*j = w->jobs;
	json_t		*types;
	int		 t;

	types = json_object();
	for (t = 0; t < JOBS_NTYPES; t++)
		json_object_set_new(types, job_types[t], json_pack(
		    "{s:b,s:I,s:I,s:I,s:I,s:I,s:I}",
		    "consumed", jobs_types[t].run != NULL,
		    "processed", (json_int_t)JOBS_COUNTER(j, t, processed),
		    "failed", (json_int_t)JOBS_COUNTER(j, t, failed),
		    "retried", (json_int_t)JOBS_COUNTER(j, t, retried),
		    "dead", (json_int_t)JOBS_COUNTER(j, t, dead),
		    "skipped", (json_int_t)JOBS_COUNTER(j, t, skipped),
		    "requeued", (json_int_t)JOBS_COUNTER(j, t, requeued)));
	return json_pack("{s:b,s:b,s:i,s:I,s:I,s:I,s:I,s:o}",
	    "consuming", j != NULL && atomic_load(&j->consuming),
	    "held", j != NULL && atomic_load(&j->held),
	    "running", j != NULL ? atomic_load(&j->running) : 0,
	    "slots", (json_int_t)w->conf.worker.job_threads,
	    "published", JOBS_TOTAL(j, published),
	    "confirmed", JOBS_TOTAL(j, confirmed),
	    "swept", JOBS_TOTAL(j, swept),
	    "types", types);
}

static void
jobs_metrics_one(FILE *f, const char *labels, const char *name,
    const char *help, const char *type, double v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s{%s} %.17g\n", name, help,
	    name, type, name, labels, v);
}

void
jobs_metrics(FILE *f, struct workerd *w, const char *labels)
{
	static const struct {
		const char	*name, *help;
	} fam[] = {
		{ "pfo3_jobs_processed_total", "Jobs run to done." },
		{ "pfo3_jobs_failed_total", "Job attempts that failed." },
		{ "pfo3_jobs_retried_total", "Failed jobs sent back to run "
		  "again after a delay." },
		{ "pfo3_jobs_dead_total", "Jobs failed for good and "
		  "dead-lettered." },
		{ "pfo3_jobs_skipped_total", "Deliveries of jobs finished or "
		  "running elsewhere, acknowledged without running." },
		{ "pfo3_jobs_requeued_total", "Deliveries given back to their "
		  "queue for later: the database was unavailable, or the job "
		  "was running elsewhere." },
	};
	struct jobs	*j = w->jobs;
	double		 v = 0;
	size_t		 i;
	int		 t;

	for (i = 0; i < sizeof fam / sizeof fam[0]; i++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", fam[i].name,
		    fam[i].help, fam[i].name);
		for (t = 0; t < JOBS_NTYPES; t++) {
			switch (i) {
			case 0: v = JOBS_COUNTER(j, t, processed); break;
			case 1: v = JOBS_COUNTER(j, t, failed); break;
			case 2: v = JOBS_COUNTER(j, t, retried); break;
			case 3: v = JOBS_COUNTER(j, t, dead); break;
			case 4: v = JOBS_COUNTER(j, t, skipped); break;
			case 5: v = JOBS_COUNTER(j, t, requeued); break;
			}
			fprintf(f, "%s{%s,type=\"%s\"} %.17g\n", fam[i].name,
			    labels, job_types[t], v);
		}
	}
	jobs_metrics_one(f, labels, "pfo3_jobs_running", "Jobs running on "
	    "the pool now.", "gauge", j != NULL ? atomic_load(&j->running) : 0);
	jobs_metrics_one(f, labels, "pfo3_jobs_consuming", "1 while the job "
	    "consumer is connected to the broker.", "gauge",
	    j != NULL && atomic_load(&j->consuming));
	jobs_metrics_one(f, labels, "pfo3_jobs_published_total", "Job "
	    "messages published (accepted jobs and sweeps).", "counter",
	    (double)JOBS_TOTAL(j, published));
	jobs_metrics_one(f, labels, "pfo3_jobs_confirmed_total", "Job "
	    "messages the broker confirmed.", "counter",
	    (double)JOBS_TOTAL(j, confirmed));
	jobs_metrics_one(f, labels, "pfo3_jobs_swept_total", "Queued jobs the "
	    "sweeper published (confirmed).", "counter",
	    (double)JOBS_TOTAL(j, swept));
}
