/*
 * h-jobs.c — GET /api/v1/jobs/{id}: a background job's state and result.
 *
 * A job that belongs to a user is shown only with that user's token.  To
 * anyone else it does not exist (404, as for a missing job, not 403): the
 * ids are sequential, and a 403 would tell which ones are someone's.
 */
#include <inttypes.h>
#include <stdlib.h>

#include <jansson.h>

#include "auth.h"
#include "jobs.h"
#include "log.h"
#include "respond.h"
#include "router.h"
#include "workerd.h"

void
h_jobs_get(struct workerd *w, const struct request *req,
    struct response *resp)
{
	json_t	*job;
	int64_t	 owner, user;
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
	if (owner != 0) {
		/* auth_bearer answers 401 or 503 itself. */
		if ((user = auth_bearer(w, req, resp)) == 0) {
			json_decref(job);
			return;
		}
		if (user != owner) {
			json_decref(job);
			response_error(resp, 404, "no such job");
			return;
		}
	}
	response_json(resp, 200, job);
}
