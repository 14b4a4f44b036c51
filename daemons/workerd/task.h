/*
 * task.h — the seed's compute tasks, the 13 operations of the original
 * worker, with its JSON shape.
 *
 *   in:  {"operacion":"suma","datos":{"a":25,"b":17}}
 *   out: {"id":N,"operacion":"suma","resultado":42,"estado":"completado","worker":"w1"}
 *   err: {"id":N,"operacion":"division","estado":"error","error":"División por cero","worker":"w1"}
 *
 * Integer results are exact: up to ±2^53 they are JSON integers, beyond it
 * exact decimal strings (a JSON number that large would be rounded by most
 * readers).  Error messages are in Spanish, as in the original.  The bounds
 * (sleep length, factorial and fibonacci n, digits, text size) come from the
 * `tasks` section of pfo3.conf.  task_run is thread-safe and allocates only
 * its reply; `sleep` blocks the calling thread, which is the point of it.
 */
#ifndef PFO3_TASK_H
#define PFO3_TASK_H

#include <stdint.h>

#include <jansson.h>

struct conf_tasks;

/* 200 completed, 422 refused (bad data, domain error, over a limit). */
#define TASK_OK		200
#define TASK_REFUSED	422

/*
 * Runs the task described by `req` (any JSON value: a non-object is refused
 * like any other bad input) and returns a new reply object in the seed's
 * shape, stamped with `id` and `worker`.  *status is TASK_OK or TASK_REFUSED.
 * Never returns NULL.
 */
json_t	*task_run(const json_t *req, int64_t id, const char *worker,
	    const struct conf_tasks *limits, int *status);

/* 1 when `name` is one of the 13 operations. */
int	task_known(const char *name);

#endif
