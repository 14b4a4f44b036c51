/* router.c — see router.h. */
#include <string.h>

#include "router.h"
#include "workerd.h"

static const struct route router_table[] = {
	{ "GET",  "/healthz",      ROUTE_INLINE, h_healthz, "/healthz" },
	{ "GET",  "/readyz",       ROUTE_INLINE, h_readyz,  "/readyz" },
	{ "GET",  "/metrics",      ROUTE_INLINE, h_metrics, "/metrics" },
	{ "POST", "/api/v1/tasks", ROUTE_POOL,   h_tasks,   "/api/v1/tasks" },
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

const struct route *
router_match(const char *method, size_t method_len, const char *path,
    int *status, const char **allow)
{
	size_t i;
	int path_seen = 0;

	*allow = NULL;
	for (i = 0; i < ROUTER_N; i++) {
		if (strcmp(router_table[i].path, path) != 0)
			continue;
		if (router_method_matches(router_table[i].method, method,
		    method_len))
			return &router_table[i];
		path_seen = 1;
		*allow = strcmp(router_table[i].method, "GET") == 0 ?
		    "GET, HEAD" : router_table[i].method;
	}
	*status = path_seen ? 405 : 404;
	return NULL;
}

int
router_register_metrics(struct workerd *w)
{
	size_t i;

	for (i = 0; i < ROUTER_N; i++)
		router_index[i] = metrics_route(&w->metrics,
		    router_table[i].metric);
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
