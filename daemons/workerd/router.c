/* router.c — see router.h. */
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "respond.h"
#include "router.h"
#include "workerd.h"

#define PG	PROBE_BIT(PROBE_POSTGRES)
#define S3	PROBE_BIT(PROBE_S3)

/*
 * The path doubles as the route's label in /metrics.  Needs: a Bearer
 * token is checked in PostgreSQL, so every auth route needs it; reports
 * and async tasks need PostgreSQL only (the job waits in the outbox for
 * RabbitMQ, jobs-sweep.c); bytes of files and PDFs live in S3.
 */
static const struct route router_table[] = {
	{ "GET",  "/healthz",      ROUTE_INLINE, 0, h_healthz, 0 },
	{ "GET",  "/readyz",       ROUTE_INLINE, 0, h_readyz, 0 },
	{ "GET",  "/metrics",      ROUTE_INLINE, 0, h_metrics, 0 },
	/* Async tasks need PG: h_tasks asks router_gate itself. */
	{ "POST", "/api/v1/tasks", ROUTE_POOL,   0, h_tasks, 0 },
	{ "POST", "/api/v1/users", ROUTE_POOL,   0, h_users_create, PG },
	{ "POST", "/api/v1/login", ROUTE_POOL,   0, h_login, PG },
	{ "POST", "/api/v1/logout", ROUTE_POOL,  1, h_logout, PG },
	{ "GET",  "/api/v1/me",    ROUTE_POOL,   1, h_me, PG },
	{ "GET",  "/api/v1/jobs/{id}", ROUTE_POOL, 1, h_jobs_get, PG },
	{ "POST", "/api/v1/reports", ROUTE_POOL, 1, h_reports_create, PG },
	{ "GET",  "/api/v1/reports/{id}/pdf", ROUTE_POOL, 1, h_reports_pdf,
	    PG | S3 },
	{ "GET",  "/api/v1/notifications", ROUTE_POOL, 1, h_notifications,
	    PG },
	{ "POST", "/api/v1/files", ROUTE_STREAM, 1, h_files_upload, PG | S3 },
	{ "GET",  "/api/v1/files", ROUTE_POOL,  1, h_files_list, PG },
	{ "GET",  "/api/v1/files/{id}", ROUTE_POOL, 1, h_files_get, PG },
	{ "DELETE", "/api/v1/files/{id}", ROUTE_POOL, 1, h_files_delete,
	    PG | S3 },
	{ "GET",  "/api/v1/files/{id}/content", ROUTE_POOL, 1, h_files_content,
	    PG | S3 },
	{ "GET",  "/api/v1/files/{id}/thumbnail", ROUTE_POOL, 1,
	    h_files_thumbnail, PG | S3 },
	{ "PUT",  "/api/v1/me/photo", ROUTE_STREAM, 1, h_me_photo, PG | S3 },
};
#define ROUTER_N (sizeof router_table / sizeof router_table[0])

static int router_index[ROUTER_N];
static int router_other;

static int
router_method_matches(const char *want, const char *m, size_t mlen)
{
	if (strlen(want) == mlen && memcmp(want, m, mlen) == 0)
		return 1;
	return strcmp(want, "GET") == 0 && mlen == 4 && memcmp(m, "HEAD", 4) == 0;
}

/*
 * Matches `path` against a pattern where "{id}" stands for one segment of
 * 1 to 18 digits with no leading zero (so it fits an int64 and has one
 * spelling).  A 19th digit ends the match before it is added: the value
 * never overflows, however long the segment.  Fills ids[] on a match.
 */
static int
router_path_matches(const char *pattern, const char *path, int64_t *ids,
    int *nids)
{
	int n = 0, digits;
	int64_t v;

	while (*pattern != '\0') {
		if (*pattern == '{' && strncmp(pattern, "{id}", 4) == 0) {
			if (*path < '1' || *path > '9' || n == ROUTER_MAX_IDS)
				return 0;
			for (v = 0, digits = 0; *path >= '0' && *path <= '9';
			    path++, digits++) {
				if (digits == ROUTER_ID_DIGITS)
					return 0;
				v = v * 10 + (*path - '0');
			}
			ids[n++] = v;
			pattern += 4;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	if (*path != '\0')
		return 0;
	*nids = n;
	return 1;
}

/* Appends `method` (and HEAD after GET) to the Allow list being built. */
static void
router_allow_add(char *allow, const char *method)
{
	size_t len = strlen(allow);

	snprintf(allow + len, ROUTER_ALLOW_MAX - len, "%s%s%s",
	    len > 0 ? ", " : "", method,
	    strcmp(method, "GET") == 0 ? ", HEAD" : "");
}

const struct route *
router_match(const char *method, size_t method_len, const char *path,
    int64_t *ids, int *nids, int *status, char *allow)
{
	size_t i;

	allow[0] = '\0';
	*nids = 0;
	for (i = 0; i < ROUTER_N; i++) {
		if (!router_path_matches(router_table[i].path, path, ids, nids))
			continue;
		if (router_method_matches(router_table[i].method, method,
		    method_len))
			return &router_table[i];
		router_allow_add(allow, router_table[i].method);
	}
	*status = allow[0] != '\0' ? 405 : 404;
	return NULL;
}

int
router_gate(struct workerd *w, unsigned needs, struct response *resp)
{
	char why[256];
	int dep;

	if ((dep = probe_down(w->probe, needs, why, sizeof why)) == -1)
		return 0;
	response_error(resp, 503, "%s unavailable: %s", probe_name(dep), why);
	response_header(resp, "Retry-After: %lld",
	    (long long)w->conf.worker.retry_after);
	return 1;
}

int
router_register_metrics(struct workerd *w)
{
	size_t i;

	for (i = 0; i < ROUTER_N; i++)
		router_index[i] = metrics_route(&w->metrics,
		    router_table[i].path);
	router_other = metrics_route(&w->metrics, "other");
	return router_other;
}

int
router_metric_index(const struct route *r)
{
	if (r == NULL)
		return router_other;
	return router_index[r - router_table];
}
