/*
 * h-jobs.c — GET /api/v1/jobs/{id}: a background job's state and result.
 *
 * Every request needs a Bearer token (401 without one), and a job is shown
 * only to the user it belongs to.  To anyone else it does not exist (404,
 * as for a missing job, not 403): the ids are sequential, and a 403 would
 * tell which ones are someone's.  A job with no owner (made by the system,
 * or whose user was deleted) is shown to nobody.
 */
#include <inttypes.h>
#include <stdlib.h>

#include <jansson.h>

#include "jobs.h"
#include "log.h"
#include "respond.h"
#include "router.h"
#include "workerd.h"

/* Accepts a request auth_bearer let through (req->user_id is set): the
 * router checks the token first, so nothing is said about an id without one. */
void
h_jobs_get(struct workerd *w, const struct request *req,
    struct response *resp)
{
	json_t	*job;
	int64_t	 owner;
	char	*cause = NULL;
	int	 found;

	job = jobs_get(w, req->ids[0], &owner, &found, &cause);
	if (job == NULL) {
		if (found) {
			log_warnx("job %" PRId64 ": %s", req->ids[0], cause);
			response_error(resp, 503, "database unavailable");
			response_header(resp, "Retry-After: %lld",
			    (long long)w->conf.worker.retry_after);
		} else
			response_error(resp, 404, "no such job");
		free(cause);
		return;
	}
	if (owner != req->user_id) {
		json_decref(job);
		response_error(resp, 404, "no such job");
		return;
	}
	response_json(resp, 200, job);
}
