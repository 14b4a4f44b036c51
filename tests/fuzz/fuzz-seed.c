/*
 * fuzz-seed.c — a libFuzzer target for the seed protocol: the scan that
 * finds the end of the client's JSON object (daemons/workerd/seed-scan.c)
 * and the task it describes, parsed as seed.c parses it and run by
 * task_run (daemons/workerd/task.c and its operations).
 *
 * Besides crashes and sanitizer reports it checks that the scan finds the
 * same end whether the object arrives whole, byte by byte or in pieces,
 * never past what it was given; and that every task gets a reply in the
 * seed's shape (an "estado" and either a "resultado" or an "error") that
 * encodes as JSON, with status 200 or 422.
 *
 * The limits are pfo3.conf's defaults, except tasks.max_sleep = 0 so that
 * `sleep` answers at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf.h"
#include "conn.h"
#include "task.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Scans buf[0..len) arriving in pieces of `step` bytes (0: whole). */
static ssize_t
fuzz_scan(const char *buf, size_t len, size_t step)
{
	struct seed_scan	 st;
	size_t			 have = 0;
	ssize_t			 end;

	memset(&st, 0, sizeof st);
	do {
		have = step == 0 || len - have < step ? len : have + step;
		end = seed_scan(&st, buf, have);
		if (end > (ssize_t)have || end < -1)
			abort();
	} while (end == 0 && have < len);
	return end;
}

/* Runs the object of buf[0..len) as seed_run does. */
static void
fuzz_task(const char *buf, size_t len, const struct conf_tasks *limits)
{
	json_error_t	 jerr;
	json_t		*task, *reply;
	char		*text;
	int		 status = 0;

	task = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (task == NULL)
		return;
	reply = task_run(task, 1, "w1", limits, &status);
	json_decref(task);
	if (reply == NULL || !json_is_object(reply))
		abort();
	if (status != TASK_OK && status != TASK_REFUSED)
		abort();
	if (!json_is_string(json_object_get(reply, "estado")))
		abort();
	if (status == TASK_OK ?
	    json_object_get(reply, "resultado") == NULL :
	    !json_is_string(json_object_get(reply, "error")))
		abort();
	/* Every string in the reply is UTF-8 and every number finite. */
	if ((text = json_dumps(reply, JSON_COMPACT)) == NULL)
		abort();
	free(text);
	json_decref(reply);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pfo3_conf	 conf;
	struct conf_tasks	 limits;
	const char		*buf = (const char *)data;
	ssize_t			 end;

	conf_defaults(&conf);
	limits = conf.tasks;
	limits.max_sleep = 0;
	conf_free(&conf);

	end = fuzz_scan(buf, size, 0);
	if (fuzz_scan(buf, size, 1) != end || fuzz_scan(buf, size, 5) != end)
		abort();
	if (end > 0) {
		/* The scan pairs brackets by depth, not kind: "{]" is
		 * left for the JSON parser to refuse. */
		if (buf[end - 1] != '}' && buf[end - 1] != ']')
			abort();
		fuzz_task(buf, (size_t)end, &limits);
	}
	return 0;
}
