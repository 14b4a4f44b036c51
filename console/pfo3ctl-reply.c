/*
 * pfo3ctl-reply.c — the human form of replies that have no table of
 * their own (ping, worker.add, a worker's stats...), and the choice of
 * form for each reply.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pfo3ctl-render.h"
#include "pfo3ctl-table.h"
#include "xmalloc.h"

/* Arrays longer than this (a history of samples) are summarised. */
#define PFO3CTL_REPLY_MAX_ARRAY	10

/* Prints a scalar as it reads best: strings bare, reals with three
 * decimals at most (0.0495361022 is 0.05), the rest as JSON. */
static void
pfo3ctl_reply_scalar(FILE *f, const json_t *v)
{
	char	 buf[64], *s;
	size_t	 n;

	if (json_is_string(v)) {
		s = pfo3ctl_printable(json_string_value(v));
		fputs(s, f);
		free(s);
		return;
	}
	if (json_is_real(v) && isfinite(json_real_value(v))) {
		snprintf(buf, sizeof buf, "%.3f", json_real_value(v));
		n = strlen(buf);
		while (n > 0 && buf[n - 1] == '0')
			buf[--n] = '\0';
		if (n > 0 && buf[n - 1] == '.')
			buf[--n] = '\0';
		fputs(strcmp(buf, "-0") == 0 ? "0" : buf, f);
		return;
	}
	if ((s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) != NULL) {
		fputs(s, f);
		free(s);
	}
}

static void
pfo3ctl_reply_value(FILE *f, const char *key, const json_t *v)
{
	const char	*k;
	const json_t	*x;
	char		*sub, *pkey;
	size_t		 i;

	if (json_is_object(v) && json_object_size(v) > 0) {
		json_object_foreach((json_t *)v, k, x) {
			sub = xasprintf("%s.%s", key, k);
			pfo3ctl_reply_value(f, sub, x);
			free(sub);
		}
		return;
	}
	pkey = pfo3ctl_printable(key);
	fprintf(f, "%s: ", pkey);
	free(pkey);
	if (!json_is_array(v)) {
		pfo3ctl_reply_scalar(f, v);
	} else if (json_array_size(v) > PFO3CTL_REPLY_MAX_ARRAY) {
		fprintf(f, "[%zu values]", json_array_size(v));
	} else {
		json_array_foreach(v, i, x) {
			if (i > 0)
				fputs(", ", f);
			pfo3ctl_reply_scalar(f, x);	/* objects as JSON */
		}
	}
	fputc('\n', f);
}

void
pfo3ctl_render_reply(FILE *f, const json_t *rep)
{
	const char	*key;
	const json_t	*v;
	int		 n = 0;

	json_object_foreach((json_t *)rep, key, v) {
		if (strcmp(key, "ok") == 0 || strcmp(key, "v") == 0)
			continue;
		pfo3ctl_reply_value(f, key, v);
		n++;
	}
	if (n == 0)
		fputs("ok\n", f);
}

/* A status is recognised by its shape, so `status` of a server that
 * answers something else (a worker's socket) still prints. */
void
pfo3ctl_render(FILE *f, const char *cmd, const json_t *rep)
{
	if ((strcmp(cmd, "status") == 0 || strcmp(cmd, "watch") == 0) &&
	    pfo3ctl_render_status(f, rep) == 0)
		return;
	if (strncmp(cmd, "storage.", 8) == 0 &&
	    json_is_array(json_object_get(rep, "objects_without_row")))
		pfo3ctl_render_storage(f, rep);
	else
		pfo3ctl_render_reply(f, rep);
}
