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
 * encodes as JSON, with status 200 or 422; and that integer sums,
 * differences and products are exact (computed here independently).
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

/* The exact result of `op` on two int64, or 0 when `op` is not one of
 * the three whose integer results are always exact. */
static int
fuzz_exact(const char *op, json_int_t a, json_int_t b, __int128 *out)
{
	if (strcmp(op, "suma") == 0)
		*out = (__int128)a + b;
	else if (strcmp(op, "resta") == 0)
		*out = (__int128)a - b;
	else if (strcmp(op, "multiplicacion") == 0)
		*out = (__int128)a * b;
	else
		return 0;
	return 1;
}

/*
 * Integer sums, differences and products are exact: a JSON integer up to
 * 2^53, beyond it the decimal string.  Checks the reply says so.
 */
static void
fuzz_check_exact(const json_t *task, const json_t *reply)
{
	const json_t	*op, *datos, *a, *b, *res;
	__int128	 want, mag;
	char		 buf[48], *p = buf + sizeof buf;

	op = json_object_get(task, "operacion");
	datos = json_object_get(task, "datos");
	a = json_object_get(datos, "a");
	b = json_object_get(datos, "b");
	if (!json_is_string(op) || !json_is_integer(a) || !json_is_integer(b) ||
	    !fuzz_exact(json_string_value(op), json_integer_value(a),
	    json_integer_value(b), &want))
		return;
	res = json_object_get(reply, "resultado");
	if (want >= -((__int128)1 << 53) && want <= (__int128)1 << 53) {
		if (!json_is_integer(res) || json_integer_value(res) != want)
			abort();
		return;
	}
	mag = want < 0 ? -want : want;
	*--p = '\0';
	do {
		*--p = (char)('0' + (int)(mag % 10));
		mag /= 10;
	} while (mag != 0);
	if (want < 0)
		*--p = '-';
	if (!json_is_string(res) || strcmp(json_string_value(res), p) != 0)
		abort();
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
	if (status == TASK_OK)
		fuzz_check_exact(task, reply);
	json_decref(task);
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
