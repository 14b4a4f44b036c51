/* metrics.c — see metrics.h. */
#include <string.h>

#include "metrics.h"

const double metrics_hist_bounds[METRICS_HIST_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 10, 30,
};

void
metrics_init(struct metrics *m)
{
	memset(m, 0, sizeof *m);
	latency_init(&m->latency);
}

int
metrics_route(struct metrics *m, const char *name)
{
	int i;

	for (i = 0; i < m->nroutes; i++)
		if (strcmp(m->route[i].name, name) == 0)
			return i;
	if (m->nroutes == METRICS_MAX_ROUTES)
		return m->nroutes - 1;	/* the table is sized for router.c */
	m->route[m->nroutes].name = name;
	return m->nroutes++;
}

void
metrics_request(struct metrics *m, int route, int status, int error,
    int64_t us, int64_t now_s)
{
	struct metrics_route *r;
	double s = (double)us / 1e6;
	int i;

	m->requests_total++;
	if (error)
		m->errors_total++;
	if (route >= 0 && route < m->nroutes) {
		r = &m->route[route];
		for (i = 0; i < r->nstatus; i++)
			if (r->status[i].code == status)
				break;
		if (i == r->nstatus && r->nstatus < METRICS_MAX_STATUS)
			r->status[r->nstatus++].code = status;
		if (i < r->nstatus)
			r->status[i].count++;
	}
	for (i = 0; i < METRICS_HIST_BUCKETS; i++)
		if (s <= metrics_hist_bounds[i])
			break;
	m->hist[i]++;
	m->hist_sum_s += s;
	latency_record(&m->latency, now_s, us);
}
