/*
 * depsd-send.c — pfo3-ctld-deps's one way of writing to pfo3-ctld: a JSON
 * object as one line on the link (depsd.h).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <jansson.h>

#include "depsd.h"
#include "log.h"

/* Sends one line to pfo3-ctld; `msg` is stolen. */
void
depsd_send(struct bufferevent *link, json_t *msg)
{
	char *line;

	line = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (line == NULL) {
		log_warnx("a report could not be written as JSON");
		return;
	}
	bufferevent_write(link, line, strlen(line));
	bufferevent_write(link, "\n", 1);
	free(line);
}
