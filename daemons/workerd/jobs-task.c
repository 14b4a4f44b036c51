/*
 * jobs-task.c — the "task" job type: a seed task run in the background.
 *
 * The payload is the task object as posted ({"operacion","datos"}); the
 * result is the seed's reply, stamped with the worker that ran it.  A
 * task the seed's rules refuse (division by zero, a bad field) is still
 * a job that succeeded: its result says "estado":"error", and running it
 * again would only say so again.
 */
#include <jansson.h>

#include "jobs-int.h"
#include "router.h"
#include "workerd.h"

enum jobs_result
jobs_task(struct workerd *w, const struct jobs_ctx *ctx, json_t **result,
    char **cause)
{
	int	status;

	*result = tasks_execute(w, ctx->payload, &status);
	return JOBS_DONE;
}

/*
 * PostgreSQL keeps jsonb keys in an order of its own; the API shows the
 * seed's: id, operacion, resultado or estado and error, worker, and then
 * anything else.
 */
json_t *
jobs_task_show(json_t *result)
{
	static const char *const order[] = {
		"id", "operacion", "resultado", "estado", "error", "worker",
	};
	const char	*key;
	json_t		*out, *v;
	size_t		 i;

	if (!json_is_object(result))
		return result;
	out = json_object();
	for (i = 0; i < sizeof order / sizeof order[0]; i++) {
		if ((v = json_object_get(result, order[i])) != NULL)
			json_object_set(out, order[i], v);
	}
	json_object_foreach(result, key, v) {
		if (json_object_get(out, key) == NULL)
			json_object_set(out, key, v);
	}
	json_decref(result);
	return out;
}
