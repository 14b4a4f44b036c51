/*
 * h-tasks.c — POST /api/v1/tasks: the seed's compute tasks over HTTP, on a
 * pool thread (`sleep` and large factorials block it by design).
 *
 * With "async": true the task becomes a background job instead (jobs.h):
 * the answer is 202 with the job's id and its URL, and any worker runs
 * it; GET /api/v1/jobs/N shows the seed's reply once it is done.
 *
 * An async task needs a Bearer token and belongs to its user: the job
 * keeps its arguments and result, and only its owner may read them.  A
 * synchronous task stays open to anyone, as the seed's protocol always
 * was: its answer goes back on the same connection and nothing of it is
 * kept, so there is nothing another client could read (doc/SECURITY.md).
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <jansson.h>

#include "auth.h"
#include "idempotency.h"
#include "job-types.h"
#include "jobs.h"
#include "log.h"
#include "probe.h"
#include "request.h"
#include "respond.h"
#include "router.h"
#include "task.h"
#include "workerd.h"

/*
 * Runs one parsed task for either protocol: stamps the next task id and
 * this worker's name, and counts the outcome (on a pool thread, hence the
 * atomics).  Returns the reply; *status is TASK_OK or TASK_REFUSED.
 */
json_t *
tasks_execute(struct workerd *w, const json_t *task, int *status)
{
	json_t *reply;

	reply = task_run(task, atomic_fetch_add(&w->next_task_id, 1),
	    w->conf.worker.id, &w->conf.tasks, status);
	if (*status == TASK_OK)
		atomic_fetch_add(&w->metrics.tasks_ok, 1);
	else
		atomic_fetch_add(&w->metrics.tasks_failed, 1);
	return reply;
}

/* Accepts a task object (modified: "async" goes) and answers 202 with the
 * job it became for the token's user, 401 without a valid token, or 503
 * when the job cannot be recorded.  An Idempotency-Key makes a second POST
 * answer the same job. */
static void
h_tasks_async(struct workerd *w, const struct request *req, json_t *task,
    struct response *resp)
{
	struct idem	 idem;
	int64_t		 id, user;
	char		*cause = NULL, *dedup;

	/* auth_bearer answers 401 or 503 itself. */
	if ((user = auth_bearer(w, req, resp)) == 0)
		return;
	if (idem_begin(w, req, user, 0, &idem, resp) != 0)
		return;
	json_object_del(task, "async");
	dedup = idem_dedup_key(&idem, job_types[JOB_TASK]);
	id = jobs_submit(w, job_types[JOB_TASK], user, task, dedup, &cause);
	free(dedup);
	if (id == -1) {
		log_warnx("async task: %s", cause);
		free(cause);
		response_error(resp, 503, "database unavailable: the task "
		    "was not accepted");
		response_header(resp, "Retry-After: %lld",
		    (long long)w->conf.worker.retry_after);
	} else {
		response_json(resp, 202, json_pack("{s:I,s:s}", "job_id",
		    (json_int_t)id, "status", "queued"));
		response_header(resp, "Location: /api/v1/jobs/%" PRId64, id);
	}
	idem_end(w, &idem, resp);
}

void
h_tasks(struct workerd *w, const struct request *req, struct response *resp)
{
	json_error_t jerr;
	json_t *task, *reply;
	int status;

	/* Any JSON value is a task: task_run refuses non-objects in the
	 * seed's shape (422), as the original did. */
	if (!request_is_json(req)) {
		response_error(resp, 415, "Content-Type must be application/json");
		return;
	}
	task = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (task == NULL) {
		response_error(resp, 400, "invalid JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
		return;
	}
	if (json_is_true(json_object_get(task, "async"))) {
		/* A job is a row first: no PostgreSQL, no job. */
		if (!router_gate(w, PROBE_BIT(PROBE_POSTGRES), resp))
			h_tasks_async(w, req, task, resp);
		json_decref(task);
		return;
	}
	reply = tasks_execute(w, task, &status);
	json_decref(task);
	response_json(resp, status, reply);
}
