/* route-run.c — see route-run.h. */
#include "auth.h"
#include "conn.h"
#include "db.h"
#include "route-run.h"
#include "upload-limit.h"
#include "workerd.h"

const struct route route_seed = {
	NULL, "seed", ROUTE_POOL, 0, seed_run, 0
};

/*
 * An upload, once its user is known: refused with a 429 when that user
 * has uploads.max_per_user running already.  The body is left unread, so
 * the connection closes after the reply.
 */
static void
route_run_upload(struct workerd *w, const struct route *route,
    struct request *req, struct response *resp)
{
	int64_t user = req->user_id;

	if (user > 0 && upload_limit_enter(w->upload_limit, user) == -1) {
		response_error(resp, 429, "too many uploads in flight for "
		    "this user: at most %lld at once",
		    (long long)w->conf.uploads.max_per_user);
		response_header(resp, "Retry-After: %lld",
		    (long long)w->conf.worker.retry_after);
		resp->close = 1;
		return;
	}
	route->fn(w, req, resp);
	if (user > 0)
		upload_limit_leave(w->upload_limit, user);
}

void
route_run(struct workerd *w, const struct route *route, struct request *req,
    struct response *resp)
{
	if (!route->auth ||
	    (req->user_id = auth_bearer(w, req, resp)) > 0) {
		if (route->where == ROUTE_STREAM)
			route_run_upload(w, route, req, resp);
		else
			route->fn(w, req, resp);
	}
	route_release();
}

void
route_release(void)
{
	/* A handler that failed mid-transaction must not leave it open for
	 * the thread's next request. */
	db_release();
}
