/*
 * h-metrics.c — GET /metrics in the Prometheus text exposition format
 * (version 0.0.4).  Built on the event thread, which owns the counters.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "conn.h"
#include "jobs.h"
#include "pool.h"
#include "probe.h"
#include "respond.h"
#include "router.h"
#include "workerd.h"

static void
h_metrics_gauge(FILE *f, const char *name, const char *help, const char *type,
    const char *labels, double v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s{%s} %.17g\n", name, help,
	    name, type, name, labels, v);
}

static void
h_metrics_requests(FILE *f, const struct workerd *w, const char *labels)
{
	const struct metrics *m = &w->metrics;
	const struct metrics_route *r;
	uint64_t cum = 0;
	int i, j;

	fprintf(f, "# HELP pfo3_http_requests_total Requests answered, by route"
	    " and status.\n# TYPE pfo3_http_requests_total counter\n");
	for (i = 0; i < m->nroutes; i++) {
		r = &m->route[i];
		for (j = 0; j < r->nstatus; j++)
			fprintf(f, "pfo3_http_requests_total{%s,route=\"%s\","
			    "status=\"%d\"} %llu\n", labels, r->name,
			    r->status[j].code,
			    (unsigned long long)r->status[j].count);
	}
	fprintf(f, "# HELP pfo3_http_request_duration_seconds Time from the "
	    "first byte of a request to its response.\n"
	    "# TYPE pfo3_http_request_duration_seconds histogram\n");
	for (i = 0; i < METRICS_HIST_BUCKETS; i++) {
		cum += m->hist[i];
		fprintf(f, "pfo3_http_request_duration_seconds_bucket{%s,"
		    "le=\"%g\"} %llu\n", labels, metrics_hist_bounds[i],
		    (unsigned long long)cum);
	}
	cum += m->hist[METRICS_HIST_BUCKETS];
	fprintf(f, "pfo3_http_request_duration_seconds_bucket{%s,le=\"+Inf\"}"
	    " %llu\n", labels, (unsigned long long)cum);
	fprintf(f, "pfo3_http_request_duration_seconds_sum{%s} %.9f\n", labels,
	    m->hist_sum_s);
	fprintf(f, "pfo3_http_request_duration_seconds_count{%s} %llu\n",
	    labels, (unsigned long long)cum);
}

static void
h_metrics_deps(FILE *f, struct workerd *w, const char *labels)
{
	static const struct {
		const char	*name, *help, *type;
	} m[3] = {
		{ "pfo3_dependency_up", "1 when the dependency answered its "
		  "last probe.", "gauge" },
		{ "pfo3_dependency_latency_seconds", "Round trip of the last "
		  "probe.", "gauge" },
		{ "pfo3_dependency_failures_total", "Probes that failed.",
		  "counter" },
	};
	struct probe_result r[PROBE_COUNT];
	double v;
	int i, d;

	probe_read(w->probe, r);
	for (i = 0; i < 3; i++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", m[i].name,
		    m[i].help, m[i].name, m[i].type);
		for (d = 0; d < PROBE_COUNT; d++) {
			v = i == 0 ? (r[d].checked && r[d].ok) :
			    i == 1 ? r[d].latency_ms / 1e3 :
			    (double)r[d].failures;
			fprintf(f, "%s{%s,dep=\"%s\"} %.9g\n", m[i].name,
			    labels, probe_name(d), v);
		}
	}
}

void
h_metrics(struct workerd *w, const struct request *req, struct response *resp)
{
	char *text = NULL, labels[128];
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&text, &len)) == NULL) {
		response_error(resp, 500, "cannot build metrics");
		return;
	}
	/* Count the requests the pool handed back quietly (conn-pool.c),
	 * as control_stats does: an observer settles, /healthz does not. */
	conn_settle(w, NULL);
	snprintf(labels, sizeof labels, "worker=\"%s\"", w->conf.worker.id);
	h_metrics_gauge(f, "pfo3_pool_threads", "Pool threads.", "gauge",
	    labels, pool_threads(w->pool));
	h_metrics_gauge(f, "pfo3_pool_threads_busy", "Pool threads running a "
	    "job now.", "gauge", labels, pool_busy(w->pool));
	h_metrics_gauge(f, "pfo3_pool_queue_length", "Jobs waiting for a pool "
	    "thread.", "gauge", labels, pool_queued(w->pool));
	h_metrics_gauge(f, "pfo3_pool_queue_capacity", "Capacity of the pool "
	    "queue.", "gauge", labels, pool_capacity(w->pool));
	h_metrics_gauge(f, "pfo3_pool_rejected_total", "Requests refused with "
	    "503 because the pool queue was full.", "counter", labels,
	    (double)w->metrics.rejected_full);
	h_metrics_gauge(f, "pfo3_connections_open", "Open client connections.",
	    "gauge", labels, w->nconns);
	h_metrics_gauge(f, "pfo3_connections_total", "Client connections "
	    "accepted.", "counter", labels, (double)w->metrics.connections_total);
	h_metrics_gauge(f, "pfo3_draining", "1 while draining.", "gauge",
	    labels, atomic_load(&w->draining));
	h_metrics_gauge(f, "pfo3_tasks_completed_total", "Compute tasks "
	    "completed.", "counter", labels,
	    (double)atomic_load(&w->metrics.tasks_ok));
	h_metrics_gauge(f, "pfo3_tasks_failed_total", "Compute tasks refused "
	    "(bad data, domain errors, limits).", "counter", labels,
	    (double)atomic_load(&w->metrics.tasks_failed));
	h_metrics_gauge(f, "pfo3_uptime_seconds", "Seconds since start.",
	    "gauge", labels, (double)(clock_mono_ms() - w->start_mono_ms) / 1e3);
	h_metrics_deps(f, w, labels);
	jobs_metrics(f, w, labels);
	h_metrics_requests(f, w, labels);
	if (fclose(f) != 0) {
		free(text);
		response_error(resp, 500, "cannot build metrics");
		return;
	}
	response_body(resp, 200, "text/plain; version=0.0.4; charset=utf-8",
	    text, len);
}
