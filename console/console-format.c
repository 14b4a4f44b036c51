/*
 * console-format.c — bars and sparklines for the console's columns.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "console-format.h"

/* Appends `s` to buf (of `size`) at *off when it fits. */
static void
fmt_append(char *buf, size_t size, size_t *off, const char *s)
{
	size_t	 n = strlen(s);

	if (*off + n + 1 > size)
		return;
	memcpy(buf + *off, s, n + 1);
	*off += n;
}

char *
fmt_bar(char *buf, size_t size, const struct symbols *sym, double busy,
    double total, int width)
{
	size_t	 off = 0;
	int	 full = 0, i;

	buf[0] = '\0';
	if (total > 0 && busy > 0) {
		full = (int)lround(busy / total * width);
		if (full < 1)
			full = 1;
		if (full > width)
			full = width;
	}
	for (i = 0; i < width; i++)
		fmt_append(buf, size, &off,
		    i < full ? sym->bar_full : sym->bar_empty);
	return buf;
}

char *
fmt_spark(char *buf, size_t size, const struct symbols *sym,
    const struct model_series *s, double max, int width)
{
	size_t	 off = 0;
	int	 first, i, level;

	buf[0] = '\0';
	if (width <= 0)
		return buf;
	if (max <= 0)
		for (i = 0; i < s->n; i++)
			if (s->v[i] > max)
				max = s->v[i];
	first = s->n > width ? s->n - width : 0;
	for (i = s->n - first; i < width; i++)
		fmt_append(buf, size, &off, " ");
	for (i = first; i < s->n; i++) {
		level = 0;
		if (s->v[i] > 0 && max > 0) {
			/* Any load at all rises above the idle baseline. */
			level = (int)lround(s->v[i] / max * 7);
			if (level < 1)
				level = 1;
			if (level > 7)
				level = 7;
		}
		fmt_append(buf, size, &off, sym->spark[level]);
	}
	return buf;
}
