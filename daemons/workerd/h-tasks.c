/*
 * h-tasks.c — POST /api/v1/tasks: the seed's compute tasks over HTTP, on a
 * pool thread (`sleep` and large factorials block it by design).
 */
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "respond.h"
#include "router.h"
#include "task.h"
#include "workerd.h"

/* Accepts a missing Content-Type and application/json with parameters. */
static int
h_tasks_is_json(const char *ctype)
{
	size_t n = strlen("application/json");

	if (ctype == NULL)
		return 1;
	return strncasecmp(ctype, "application/json", n) == 0 &&
	    (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ');
}

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

void
h_tasks(struct workerd *w, const struct request *req, struct response *resp)
{
	json_error_t jerr;
	json_t *task, *reply;
	int status;

	if (!h_tasks_is_json(req->content_type)) {
		response_error(resp, 415, "Content-Type must be application/json");
		return;
	}
	task = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (task == NULL) {
		response_error(resp, 400, "invalid JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
		return;
	}
	reply = tasks_execute(w, task, &status);
	json_decref(task);
	response_json(resp, status, reply);
}
