/*
 * pfo3ctl-status.c — a status object as tables: workers, queues,
 * dependencies, totals and the latest events.
 *
 * Every field is read with a default, so a status from a daemon that
 * lacks a field (older) or has more (newer) still renders; what is
 * missing shows as "-".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl-fmt.h"
#include "ctl-field.h"
#include "pfo3ctl-fmt.h"
#include "pfo3ctl-render.h"
#include "pfo3ctl-table.h"

/* The dependencies in the order a reader expects them; others follow in
 * the daemon's order. */
static const char *const pfo3ctl_deps_order[] = {
	"postgres", "s3", "amqp", "haproxy", NULL
};

static void
pfo3ctl_status_head(FILE *f, const json_t *st)
{
	char	up[PFO3CTL_FMT_SIZE], at[PFO3CTL_FMT_SIZE];
	char	pid[PFO3CTL_FMT_SIZE], every[PFO3CTL_FMT_SIZE], *version;

	version = pfo3ctl_printable(ctl_field_str(st, "ctld.version", "-"));
	fprintf(f, "pfo3-ctld %s  pid %s  up %s  at %s  refresh %s ms\n",
	    version,
	    pfo3ctl_fmt_count(pid, sizeof pid,
	    ctl_field_num(st, "ctld.pid", NAN)),
	    ctl_fmt_duration(up, sizeof up,
	    ctl_field_num(st, "ctld.uptime_s", NAN)),
	    pfo3ctl_fmt_time(at, sizeof at, ctl_field_num(st, "time", NAN), 1),
	    pfo3ctl_fmt_count(every, sizeof every,
	    ctl_field_num(st, "interval_ms", NAN)));
	free(version);
}

/* "  w1: degraded: s3 (routes that need it answer 503)" */
static void
pfo3ctl_status_degraded(FILE *f, const json_t *w)
{
	const json_t	*a = ctl_field(w, "degraded"), *v;
	char		*id, *name;
	size_t		 i;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return;
	id = pfo3ctl_printable(ctl_field_str(w, "id", "-"));
	fprintf(f, "  %s: degraded:", id);
	json_array_foreach(a, i, v) {
		name = pfo3ctl_printable(json_is_string(v) ?
		    json_string_value(v) : "?");
		fprintf(f, "%s%s", i > 0 ? ", " : " ", name);
		free(name);
	}
	fprintf(f, " (routes that need it answer 503)\n");
	free(id);
}

static void
pfo3ctl_status_workers(FILE *f, const json_t *workers)
{
	static const char *const head[] = { "ID", "ADDR", "STATE", "LB",
	    "BUSY/THR", "QUEUE/CAP", "REQ/S", "P50MS", "P99MS", "ERR/S",
	    "RESTARTS", "UPTIME", NULL };
	struct pfo3ctl_table	*t;
	const json_t		*w;
	char			 b[PFO3CTL_FMT_SIZE], *s, *id;
	size_t			 i;

	fprintf(f, "\nWorkers\n");
	if (json_array_size(workers) == 0) {
		fprintf(f, "  (none)\n");
		return;
	}
	t = pfo3ctl_table_new(head, "llllrrrrrrrr");
	json_array_foreach(workers, i, w) {
		pfo3ctl_table_cell(t, "%s", ctl_field_str(w, "id", "-"));
		pfo3ctl_table_cell(t, "%s", ctl_field_str(w, "addr", "-"));
		pfo3ctl_table_cell(t, "%s", ctl_field_str(w, "state", "-"));
		pfo3ctl_table_cell(t, "%s", ctl_field_str(w, "lb.status", "-"));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_fmt_ratio(b, sizeof b,
		    ctl_field_num(w, "threads.busy", NAN),
		    ctl_field_num(w, "threads.total", NAN)));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_fmt_ratio(b, sizeof b,
		    ctl_field_num(w, "queue.length", NAN),
		    ctl_field_num(w, "queue.capacity", NAN)));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_fmt_rate(b, sizeof b,
		    ctl_field_num(w, "req_s", NAN)));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_fmt_ms(b, sizeof b,
		    ctl_field_num(w, "latency_ms.p50", NAN)));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_fmt_ms(b, sizeof b,
		    ctl_field_num(w, "latency_ms.p99", NAN)));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_fmt_rate(b, sizeof b,
		    ctl_field_num(w, "errors_s", NAN)));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_fmt_count(b, sizeof b,
		    ctl_field_num(w, "restarts", NAN)));
		pfo3ctl_table_cell(t, "%s", ctl_fmt_duration(b, sizeof b,
		    ctl_field_num(w, "uptime_s", NAN)));
	}
	pfo3ctl_table_print(t, f);
	pfo3ctl_table_free(t);

	/* Errors are sentences: under the table rather than in a column. */
	json_array_foreach(workers, i, w) {
		pfo3ctl_status_degraded(f, w);
		if (ctl_field_str(w, "last_error", NULL) == NULL)
			continue;
		s = pfo3ctl_printable(ctl_field_str(w, "last_error", ""));
		id = pfo3ctl_printable(ctl_field_str(w, "id", "-"));
		fprintf(f, "  %s: last error: %s\n", id, s);
		free(id);
		free(s);
	}
}

static void
pfo3ctl_status_queues(FILE *f, const json_t *queues)
{
	static const char *const head[] = { "QUEUE", "MESSAGES", "UNACKED",
	    "CONSUMERS", "IN/S", "OUT/S", "NOTE", NULL };
	struct pfo3ctl_table	*t;
	const json_t		*q;
	char			 b[PFO3CTL_FMT_SIZE];
	size_t			 i;

	fprintf(f, "\nQueues\n");
	if (json_array_size(queues) == 0) {
		fprintf(f, "  (none)\n");
		return;
	}
	t = pfo3ctl_table_new(head, "lrrrrrl");
	json_array_foreach(queues, i, q) {
		pfo3ctl_table_cell(t, "%s", ctl_field_str(q, "name", "-"));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_fmt_count(b, sizeof b,
		    ctl_field_num(q, "messages", NAN)));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_fmt_count(b, sizeof b,
		    ctl_field_num(q, "unacked", NAN)));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_fmt_count(b, sizeof b,
		    ctl_field_num(q, "consumers", NAN)));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_fmt_rate(b, sizeof b,
		    ctl_field_num(q, "in_s", NAN)));
		pfo3ctl_table_cell(t, "%s", pfo3ctl_fmt_rate(b, sizeof b,
		    ctl_field_num(q, "out_s", NAN)));
		pfo3ctl_table_cell(t, "%s",
		    ctl_field_bool(q, "dead_letter", 0) ? "dead letter" : "");
	}
	pfo3ctl_table_print(t, f);
	pfo3ctl_table_free(t);
}

/* One dependency row: ok, latency, and what else it says. */
static void
pfo3ctl_status_dep(struct pfo3ctl_table *t, const char *name,
    const json_t *d)
{
	char		 b[PFO3CTL_FMT_SIZE], u[PFO3CTL_FMT_SIZE];
	const char	*err, *ok;

	ok = !json_is_boolean(json_object_get(d, "ok")) ? "-" :
	    ctl_field_bool(d, "ok", 0) ? "ok" : "FAIL";
	pfo3ctl_table_cell(t, "%s", name);
	pfo3ctl_table_cell(t, "%s", ok);
	pfo3ctl_table_cell(t, "%s", pfo3ctl_fmt_ms(b, sizeof b,
	    ctl_field_num(d, "latency_ms", NAN)));
	err = ctl_field_str(d, "error", NULL);
	if (err != NULL)
		pfo3ctl_table_cell(t, "%s", err);
	else if (ctl_field_has_num(d, "connections.used"))
		pfo3ctl_table_cell(t, "connections %s", pfo3ctl_fmt_ratio(u,
		    sizeof u, ctl_field_num(d, "connections.used", NAN),
		    ctl_field_num(d, "connections.max", NAN)));
	else
		pfo3ctl_table_cell(t, "%s", "");
}

static void
pfo3ctl_status_deps(FILE *f, const json_t *deps)
{
	static const char *const head[] = { "DEPENDENCY", "STATUS",
	    "LATENCYMS", "DETAIL", NULL };
	struct pfo3ctl_table	*t;
	const char		*key;
	const json_t		*d;
	int			 i, known;

	fprintf(f, "\nDependencies\n");
	if (json_object_size(deps) == 0) {
		fprintf(f, "  (none)\n");
		return;
	}
	t = pfo3ctl_table_new(head, "llrl");
	for (i = 0; pfo3ctl_deps_order[i] != NULL; i++)
		if ((d = json_object_get(deps, pfo3ctl_deps_order[i])) != NULL)
			pfo3ctl_status_dep(t, pfo3ctl_deps_order[i], d);
	json_object_foreach((json_t *)deps, key, d) {
		known = 0;
		for (i = 0; pfo3ctl_deps_order[i] != NULL; i++)
			known |= strcmp(key, pfo3ctl_deps_order[i]) == 0;
		if (!known)
			pfo3ctl_status_dep(t, key, d);
	}
	pfo3ctl_table_print(t, f);
	pfo3ctl_table_free(t);
}

static void
pfo3ctl_status_totals(FILE *f, const json_t *tot)
{
	char	a[PFO3CTL_FMT_SIZE], b[PFO3CTL_FMT_SIZE];
	char	c[PFO3CTL_FMT_SIZE], d[PFO3CTL_FMT_SIZE];
	char	e[PFO3CTL_FMT_SIZE];

	if (tot == NULL)
		return;
	fprintf(f, "\nTotals: workers %s up, threads %s busy, %s req/s, "
	    "%s errors/s, %s jobs queued\n",
	    pfo3ctl_fmt_ratio(a, sizeof a,
	    ctl_field_num(tot, "workers_up", NAN),
	    ctl_field_num(tot, "workers", NAN)),
	    pfo3ctl_fmt_ratio(b, sizeof b,
	    ctl_field_num(tot, "threads.busy", NAN),
	    ctl_field_num(tot, "threads.total", NAN)),
	    pfo3ctl_fmt_rate(c, sizeof c, ctl_field_num(tot, "req_s", NAN)),
	    pfo3ctl_fmt_rate(d, sizeof d, ctl_field_num(tot, "errors_s", NAN)),
	    pfo3ctl_fmt_count(e, sizeof e,
	    ctl_field_num(tot, "jobs_queued", NAN)));
}

static void
pfo3ctl_status_events(FILE *f, const json_t *events)
{
	const json_t	*ev;
	size_t		 n = json_array_size(events), i;
	char		 at[PFO3CTL_FMT_SIZE], *s;

	if (n == 0)
		return;
	fprintf(f, "\nEvents\n");
	for (i = n > PFO3CTL_STATUS_EVENTS ? n - PFO3CTL_STATUS_EVENTS : 0;
	    i < n; i++) {
		ev = json_array_get(events, i);
		s = pfo3ctl_printable(ctl_field_str(ev, "text", "-"));
		fprintf(f, "  %s  %s\n", pfo3ctl_fmt_time(at, sizeof at,
		    ctl_field_num(ev, "time", NAN), 0), s);
		free(s);
	}
}

void
pfo3ctl_render_status(FILE *f, const json_t *st)
{
	pfo3ctl_status_head(f, st);
	pfo3ctl_status_workers(f, ctl_field(st, "workers"));
	pfo3ctl_status_queues(f, ctl_field(st, "queues"));
	pfo3ctl_status_deps(f, ctl_field(st, "deps"));
	pfo3ctl_status_totals(f, ctl_field(st, "totals"));
	pfo3ctl_status_events(f, ctl_field(st, "events"));
}
