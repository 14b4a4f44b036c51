/*
 * adopt-check.c — the decisions of adoption that need no process: reading
 * a pid file, judging a worker's `stats` reply, recognising a worker's
 * command line.  See adopt.h.
 */
#include <sys/types.h>

#include <ctype.h>
#include <limits.h>
#include <string.h>

#include <jansson.h>

#include "adopt.h"
#include "xmalloc.h"

int
adopt_parse_pid(const char *text, size_t len, pid_t *pid)
{
	size_t	 i = 0;
	long	 v = 0;
	int	 digits = 0;

	while (i < len && isspace((unsigned char)text[i]))
		i++;
	for (; i < len && isdigit((unsigned char)text[i]); i++, digits++) {
		v = v * 10 + (text[i] - '0');
		if (v > INT_MAX)
			return -1;
	}
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	if (i != len || digits == 0 || v <= 0)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

int
adopt_check_stats(const json_t *reply, const char *id, const char *addr,
    pid_t *pid, enum adopt_mode *mode, char **cause)
{
	const json_t	*v;
	const char	*got;
	json_int_t	 p;

	if (!json_is_object(reply) ||
	    !json_is_true(json_object_get(reply, "ok"))) {
		v = json_object_get(reply, "error");
		*cause = xasprintf("stats failed: %s", json_is_string(v) ?
		    json_string_value(v) : "no ok in the reply");
		return -1;
	}
	got = json_string_value(json_object_get(reply, "id"));
	if (got == NULL || strcmp(got, id) != 0) {
		*cause = xasprintf("the socket answers as worker '%s'",
		    got != NULL ? got : "(none)");
		return -1;
	}
	got = json_string_value(json_object_get(reply, "listen"));
	if (got == NULL || strcmp(got, addr) != 0) {
		*cause = xasprintf("it listens on %s, not %s",
		    got != NULL ? got : "(nothing)", addr);
		return -1;
	}
	v = json_object_get(reply, "pid");
	p = json_is_integer(v) ? json_integer_value(v) : 0;
	if (p <= 0 || p > INT_MAX) {
		*cause = xstrdup("no valid pid in its stats");
		return -1;
	}
	*pid = (pid_t)p;
	if (json_is_true(json_object_get(reply, "stopping")))
		*mode = ADOPT_STOPPING;
	else if (json_is_true(json_object_get(reply, "draining")))
		*mode = ADOPT_DRAINING;
	else
		*mode = ADOPT_SERVING;
	return 0;
}

int
adopt_cmdline_is_worker(const char *cmdline, size_t len, const char *control)
{
	const char	*arg, *end = cmdline + len, *next;
	int		 after_control = 0;

	/* Each argument ends with a NUL; a last one without is cut short. */
	for (arg = cmdline; arg < end; arg = next + 1) {
		if ((next = memchr(arg, '\0', (size_t)(end - arg))) == NULL)
			return 0;
		if (after_control)
			return strcmp(arg, control) == 0;
		after_control = strcmp(arg, "--control") == 0;
	}
	return 0;
}
