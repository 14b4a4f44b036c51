/*
 * journal.c — the event journal of pfo3-ctld.  See journal.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "clock.h"
#include "journal.h"
#include "log.h"

void
journal_init(struct journal *j, int64_t max)
{
	j->events = json_array();
	j->max = max;
}

void
journal_free(struct journal *j)
{
	json_decref(j->events);
	j->events = NULL;
}

void
journal_add(struct journal *j, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatalx("vasprintf failed");
	va_end(ap);
	log_info("%s", text);
	json_array_append_new(j->events, json_pack("{s:f,s:s}", "time",
	    clock_real_s(), "text", text));
	while ((int64_t)json_array_size(j->events) > j->max)
		json_array_remove(j->events, 0);
	free(text);
}

json_t *
journal_json(const struct journal *j)
{
	return j->events;
}
