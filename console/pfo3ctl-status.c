/*
 * pfo3ctl-status.c — a status object as tables: workers, queues,
 * dependencies, totals and the latest events.
 *
 * The status is decoded by the status model (status-model.h) and its
 * numbers formatted by ctl-fmt.h, as in pfo3-console, so both show the
 * same for the same status; a value the daemon did not send shows as
 * "-".
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "ctl-fmt.h"
#include "pfo3ctl-render.h"
#include "pfo3ctl-table.h"
#include "status-model.h"

static void
pfo3ctl_status_head(FILE *f, const struct model *m)
{
	char	up[CTL_FMT_SIZE], at[CTL_FMT_SIZE];
	char	pid[CTL_FMT_SIZE], every[CTL_FMT_SIZE], *version;

	version = pfo3ctl_printable(m->ctld_version);
	fprintf(f, "pfo3-ctld %s  pid %s  up %s  at %s  refresh %s ms\n",
	    version, ctl_fmt_int(pid, sizeof pid, m->ctld_pid),
	    ctl_fmt_duration(up, sizeof up, m->ctld_uptime_s),
	    ctl_fmt_time(at, sizeof at, m->time, 1),
	    ctl_fmt_int(every, sizeof every, m->interval_ms));
	free(version);
}

/* Errors are sentences: under the table rather than in a column.
 * "  w1: degraded: s3 (routes that need it answer 503)" */
static void
pfo3ctl_status_notes(FILE *f, const struct model_worker *w)
{
	char	*id, *s, *down;

	id = pfo3ctl_printable(w->id);
	if ((down = model_degraded(w, ", ")) != NULL) {
		s = pfo3ctl_printable(down);
		fprintf(f, "  %s: degraded: %s (routes that need it answer "
		    "503)\n", id, s);
		free(s);
		free(down);
	}
	if (w->last_error != NULL) {
		s = pfo3ctl_printable(w->last_error);
		fprintf(f, "  %s: last error: %s\n", id, s);
		free(s);
	}
	free(id);
}

static void
pfo3ctl_status_workers(FILE *f, const struct model *m)
{
	static const char *const head[] = { "ID", "ADDR", "STATE", "LB",
	    "BUSY/THR", "QUEUE/CAP", "REQ/S", "P50MS", "P99MS", "ERR/S",
	    "RESTARTS", "UPTIME", NULL };
	const struct model_worker	*w;
	struct pfo3ctl_table		*t;
	char				 b[CTL_FMT_SIZE];
	size_t				 i;

	fprintf(f, "\nWorkers\n");
	if (m->nworkers == 0) {
		fprintf(f, "  (none)\n");
		return;
	}
	t = pfo3ctl_table_new(head, "llllrrrrrrrr");
	for (i = 0; i < m->nworkers; i++) {
		w = &m->workers[i];
		pfo3ctl_table_cell(t, "%s", w->id);
		pfo3ctl_table_cell(t, "%s", w->addr);
		pfo3ctl_table_cell(t, "%s", w->state);
		pfo3ctl_table_cell(t, "%s", w->lb_status[0] != '\0' ?
		    w->lb_status : "-");
		pfo3ctl_table_cell(t, "%s", ctl_fmt_ratio(b, sizeof b,
		    w->busy, w->threads));
		pfo3ctl_table_cell(t, "%s", ctl_fmt_ratio(b, sizeof b,
		    w->queue, w->queue_cap));
		pfo3ctl_table_cell(t, "%s", ctl_fmt_rate(b, sizeof b, w->req_s));
		pfo3ctl_table_cell(t, "%s", ctl_fmt_ms(b, sizeof b, w->p50));
		pfo3ctl_table_cell(t, "%s", ctl_fmt_ms(b, sizeof b, w->p99));
		pfo3ctl_table_cell(t, "%s", ctl_fmt_rate(b, sizeof b,
		    w->errors_s));
		pfo3ctl_table_cell(t, "%s", ctl_fmt_count(b, sizeof b,
		    w->restarts));
		pfo3ctl_table_cell(t, "%s", ctl_fmt_duration(b, sizeof b,
		    w->uptime_s));
	}
	pfo3ctl_table_print(t, f);
	pfo3ctl_table_free(t);
	for (i = 0; i < m->nworkers; i++)
		pfo3ctl_status_notes(f, &m->workers[i]);
}

static void
pfo3ctl_status_queues(FILE *f, const struct model *m)
{
	static const char *const head[] = { "QUEUE", "MESSAGES", "UNACKED",
	    "CONSUMERS", "IN/S", "OUT/S", "NOTE", NULL };
	const struct model_queue	*q;
	struct pfo3ctl_table		*t;
	char				 b[CTL_FMT_SIZE];
	size_t				 i;

	fprintf(f, "\nQueues\n");
	if (m->nqueues == 0) {
		fprintf(f, "  (none)\n");
		return;
	}
	t = pfo3ctl_table_new(head, "lrrrrrl");
	for (i = 0; i < m->nqueues; i++) {
		q = &m->queues[i];
		pfo3ctl_table_cell(t, "%s", q->name);
		pfo3ctl_table_cell(t, "%s", ctl_fmt_count(b, sizeof b,
		    q->messages));
		pfo3ctl_table_cell(t, "%s", ctl_fmt_count(b, sizeof b,
		    q->unacked));
		pfo3ctl_table_cell(t, "%s", ctl_fmt_count(b, sizeof b,
		    q->consumers));
		pfo3ctl_table_cell(t, "%s", ctl_fmt_rate(b, sizeof b, q->in_s));
		pfo3ctl_table_cell(t, "%s", ctl_fmt_rate(b, sizeof b,
		    q->out_s));
		pfo3ctl_table_cell(t, "%s", q->dead_letter ? "dead letter" : "");
	}
	pfo3ctl_table_print(t, f);
	pfo3ctl_table_free(t);
}

/* The dependencies in the model's order (postgres, s3, amqp, haproxy,
 * then the others): up or FAIL, latency, and the error or connections. */
static void
pfo3ctl_status_deps(FILE *f, const struct model *m)
{
	static const char *const head[] = { "DEPENDENCY", "STATUS",
	    "LATENCYMS", "DETAIL", NULL };
	const struct model_dep	*d;
	struct pfo3ctl_table	*t;
	char			 b[CTL_FMT_SIZE], detail[256];
	size_t			 i;

	fprintf(f, "\nDependencies\n");
	if (m->ndeps == 0) {
		fprintf(f, "  (none)\n");
		return;
	}
	t = pfo3ctl_table_new(head, "llrl");
	for (i = 0; i < m->ndeps; i++) {
		d = &m->deps[i];
		pfo3ctl_table_cell(t, "%s", d->name);
		pfo3ctl_table_cell(t, "%s", d->ok == 1 ? "ok" : d->ok == 0 ?
		    "FAIL" : "-");
		pfo3ctl_table_cell(t, "%s", ctl_fmt_ms(b, sizeof b,
		    d->latency_ms));
		pfo3ctl_table_cell(t, "%s", model_dep_detail(d, detail,
		    sizeof detail));
	}
	pfo3ctl_table_print(t, f);
	pfo3ctl_table_free(t);
}

static void
pfo3ctl_status_totals(FILE *f, const struct model *m)
{
	char	a[CTL_FMT_SIZE], b[CTL_FMT_SIZE], c[CTL_FMT_SIZE];
	char	d[CTL_FMT_SIZE], e[CTL_FMT_SIZE];

	if (!m->has_totals)
		return;
	fprintf(f, "\nTotals: workers %s up, threads %s busy, %s req/s, "
	    "%s errors/s, %s jobs queued\n",
	    ctl_fmt_ratio(a, sizeof a, m->workers_up, m->workers_total),
	    ctl_fmt_ratio(b, sizeof b, m->threads_busy, m->threads_total),
	    ctl_fmt_rate(c, sizeof c, m->req_s),
	    ctl_fmt_rate(d, sizeof d, m->errors_s),
	    ctl_fmt_count(e, sizeof e, m->jobs_queued));
}

static void
pfo3ctl_status_events(FILE *f, const struct model *m)
{
	char	at[CTL_FMT_SIZE], *s;
	size_t	i;

	if (m->nevents == 0)
		return;
	fprintf(f, "\nEvents\n");
	for (i = m->nevents > PFO3CTL_STATUS_EVENTS ?
	    m->nevents - PFO3CTL_STATUS_EVENTS : 0; i < m->nevents; i++) {
		s = pfo3ctl_printable(m->events[i].text);
		fprintf(f, "  %s  %s\n", ctl_fmt_time(at, sizeof at,
		    m->events[i].time, 0), s);
		free(s);
	}
}

int
pfo3ctl_render_status(FILE *f, const json_t *st)
{
	struct model	 m;
	char		*cause = NULL;

	model_init(&m);
	if (model_apply(&m, st, &cause) != 0) {
		free(cause);
		return -1;
	}
	pfo3ctl_status_head(f, &m);
	pfo3ctl_status_workers(f, &m);
	pfo3ctl_status_queues(f, &m);
	pfo3ctl_status_deps(f, &m);
	pfo3ctl_status_totals(f, &m);
	pfo3ctl_status_events(f, &m);
	model_clear(&m);
	return 0;
}
