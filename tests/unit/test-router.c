/*
 * test-router.c — the route table's matching: methods (GET answers HEAD),
 * {id} segments (1 to 18 digits, no leading zero), 404 against 405, and
 * the Allow header of a 405 naming every method the path accepts.
 */
#include <stdint.h>
#include <string.h>

#include "router.h"
#include "tap.h"

/* One lookup and what it must give: a route's method and path, or a
 * status with the Allow list of a 405 (NULL for a 404). */
struct lookup {
	const char	*method;
	const char	*path;
	const char	*route_method;	/* NULL: no route */
	const char	*route_path;
	int		 status;
	const char	*allow;
	int		 nids;
	int64_t		 id0, id1;
};

static const struct lookup lookups[] = {
	{ "GET", "/healthz", "GET", "/healthz", 0, NULL, 0, 0, 0 },
	{ "HEAD", "/healthz", "GET", "/healthz", 0, NULL, 0, 0, 0 },
	{ "POST", "/api/v1/files", "POST", "/api/v1/files", 0, NULL, 0, 0, 0 },
	{ "GET", "/api/v1/files", "GET", "/api/v1/files", 0, NULL, 0, 0, 0 },
	{ "GET", "/api/v1/files/5", "GET", "/api/v1/files/{id}", 0, NULL,
	    1, 5, 0 },
	{ "DELETE", "/api/v1/files/5", "DELETE", "/api/v1/files/{id}", 0, NULL,
	    1, 5, 0 },
	{ "GET", "/api/v1/reports/77/pdf", "GET", "/api/v1/reports/{id}/pdf",
	    0, NULL, 1, 77, 0 },
	/* The largest id: 18 digits. */
	{ "GET", "/api/v1/files/999999999999999999/content", "GET",
	    "/api/v1/files/{id}/content", 0, NULL, 1, 999999999999999999LL, 0 },

	/* 405: Allow names every method of the path, HEAD with GET. */
	{ "PUT", "/api/v1/files/5", NULL, NULL, 405, "GET, HEAD, DELETE",
	    0, 0, 0 },
	{ "POST", "/api/v1/files/5", NULL, NULL, 405, "GET, HEAD, DELETE",
	    0, 0, 0 },
	{ "DELETE", "/api/v1/files", NULL, NULL, 405, "POST, GET, HEAD",
	    0, 0, 0 },
	{ "DELETE", "/healthz", NULL, NULL, 405, "GET, HEAD", 0, 0, 0 },
	{ "GET", "/api/v1/tasks", NULL, NULL, 405, "POST", 0, 0, 0 },
	{ "GET", "/api/v1/me/photo", NULL, NULL, 405, "PUT", 0, 0, 0 },

	/* Ids that are no ids: 404, whatever the method. */
	{ "GET", "/api/v1/files/0", NULL, NULL, 404, NULL, 0, 0, 0 },
	{ "GET", "/api/v1/files/05", NULL, NULL, 404, NULL, 0, 0, 0 },
	{ "GET", "/api/v1/files/-5", NULL, NULL, 404, NULL, 0, 0, 0 },
	{ "GET", "/api/v1/files/5x", NULL, NULL, 404, NULL, 0, 0, 0 },
	{ "GET", "/api/v1/files/", NULL, NULL, 404, NULL, 0, 0, 0 },
	/* 19 digits and more: beyond what an id may be, and beyond int64
	 * (parsing them must not overflow on the way: UBSan build). */
	{ "GET", "/api/v1/files/1000000000000000000", NULL, NULL, 404, NULL,
	    0, 0, 0 },
	{ "GET", "/api/v1/files/9223372036854775807", NULL, NULL, 404, NULL,
	    0, 0, 0 },
	{ "GET", "/api/v1/files/9223372036854775808", NULL, NULL, 404, NULL,
	    0, 0, 0 },
	{ "GET", "/api/v1/files/99999999999999999999", NULL, NULL, 404, NULL,
	    0, 0, 0 },
	{ "PUT", "/api/v1/files/99999999999999999999", NULL, NULL, 404, NULL,
	    0, 0, 0 },
	{ "GET", "/api/v1/files/"
	    "99999999999999999999999999999999999999999999999999/thumbnail",
	    NULL, NULL, 404, NULL, 0, 0, 0 },
	{ "GET", "/nope", NULL, NULL, 404, NULL, 0, 0, 0 },
	{ "GET", "/healthz/", NULL, NULL, 404, NULL, 0, 0, 0 },
};
#define NLOOKUPS (sizeof lookups / sizeof lookups[0])

static void
check(const struct lookup *l)
{
	const struct route *r;
	int64_t ids[ROUTER_MAX_IDS] = { 0 };
	int nids = -1, status = 0;
	char allow[ROUTER_ALLOW_MAX];

	memset(allow, 'x', sizeof allow);
	r = router_match(l->method, strlen(l->method), l->path, ids, &nids,
	    &status, allow);
	if (l->route_method != NULL) {
		if (!tap_ok(r != NULL && strcmp(r->method, l->route_method) == 0 &&
		    strcmp(r->path, l->route_path) == 0 && nids == l->nids &&
		    (nids < 1 || ids[0] == l->id0) &&
		    (nids < 2 || ids[1] == l->id1),
		    "%s %s: route %s %s, %d id(s)", l->method, l->path,
		    l->route_method, l->route_path, l->nids) && r != NULL)
			tap_diag("got %s %s, nids %d, id %lld", r->method,
			    r->path, nids, (long long)ids[0]);
		return;
	}
	tap_ok(r == NULL && status == l->status, "%s %s: %d", l->method,
	    l->path, l->status);
	tap_is_str(status == 405 ? allow : NULL, l->allow,
	    "%s %s: Allow: %s", l->method, l->path,
	    l->allow != NULL ? l->allow : "(none)");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < NLOOKUPS; i++)
		check(&lookups[i]);
	return tap_done();
}
