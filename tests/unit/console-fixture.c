/*
 * console-fixture.c — the fixed status the console's unit tests render:
 * four workers in every kind of state (failed, up, draining, remote),
 * queues over both thresholds and a dead-letter queue, a dependency
 * down, and events with a control character and wide characters.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "console-fixture.h"
#include "xmalloc.h"

json_t *
fixture_status(void)
{
	const char	*srcdir = getenv("PFO3_SRCDIR");
	json_error_t	 err;
	json_t		*st;
	char		*path;

	if (srcdir == NULL || *srcdir == '\0')
		srcdir = ".";
	path = xasprintf("%s/tests/unit/data/console-status.json", srcdir);
	if ((st = json_load_file(path, JSON_REJECT_DUPLICATES, &err)) == NULL) {
		printf("Bail out! %s:%d: %s\n", path, err.line, err.text);
		exit(1);
	}
	free(path);
	return st;
}

void
fixture_model(struct model *m)
{
	json_t	*st = fixture_status();
	char	*cause = NULL;

	model_init(m);
	if (model_apply(m, st, &cause) != 0) {
		printf("Bail out! the fixture does not apply: %s\n", cause);
		exit(1);
	}
	json_decref(st);
}

json_t *
fixture_many(int n)
{
	json_t	*st, *workers, *w;
	char	 id[16], addr[32];
	int	 i;

	workers = json_array();
	for (i = 1; i <= n; i++) {
		snprintf(id, sizeof id, "w%d", i);
		snprintf(addr, sizeof addr, "127.0.0.1:%d", 8000 + i);
		w = json_pack("{s:s, s:s, s:i, s:s, s:{s:s}, s:{s:i, s:i}, "
		    "s:{s:i, s:i}, s:f, s:{s:[iii]}}", "id", id, "addr", addr,
		    "pid", 1000 + i, "state", "up", "lb", "status", "UP",
		    "threads", "total", 5, "busy", 2, "queue", "length", 0,
		    "capacity", 64, "req_s", 1.0, "history", "busy", 1, 2, 2);
		json_array_append_new(workers, w);
	}
	st = json_pack("{s:b, s:i, s:f, s:o, s:{s:i, s:i, s:{s:i, s:i}}}",
	    "ok", 1, "v", 1, "time", 1764400000.0, "workers", workers,
	    "totals", "workers", n, "workers_up", n, "threads", "total",
	    5 * n, "busy", 2 * n);
	return st;
}
