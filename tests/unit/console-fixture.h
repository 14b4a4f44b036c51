/* console-fixture.h — the fixed status of the console's unit tests. */
#ifndef PFO3_CONSOLE_FIXTURE_H
#define PFO3_CONSOLE_FIXTURE_H

#include <jansson.h>

#include "status-model.h"

/* tests/unit/data/console-status.json, parsed; exits on failure. */
json_t	*fixture_status(void);
/* The same, applied to `m` (initialised here). */
void	 fixture_model(struct model *m);
/* A status with `n` up workers w1..wN (5 threads, 2 busy) and no queues. */
json_t	*fixture_many(int n);

#endif
