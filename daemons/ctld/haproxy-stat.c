/*
 * haproxy-stat.c — HAProxy's `show stat` CSV, read by column name: the
 * first line names the columns ("# pxname,svname,…"), and HAProxy only
 * ever appends columns across versions, so positions are looked up, never
 * assumed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haproxy-stat.h"
#include "xmalloc.h"

#define STAT_MAX_COLUMNS	256

enum stat_col {
	COL_PXNAME, COL_SVNAME, COL_SCUR, COL_QCUR, COL_STATUS, COL_RATE,
	COL_5XX, COL_CHECK, COL_ADDR, COL_COUNT
};

static const char *const stat_col_names[COL_COUNT] = {
	[COL_PXNAME] = "pxname",
	[COL_SVNAME] = "svname",
	[COL_SCUR] = "scur",
	[COL_QCUR] = "qcur",
	[COL_STATUS] = "status",
	[COL_RATE] = "rate",
	[COL_5XX] = "hrsp_5xx",
	[COL_CHECK] = "check_status",
	[COL_ADDR] = "addr",
};

/* Splits `line` at commas in place; returns the number of fields. */
static int
stat_split(char *line, char **field, int max)
{
	int n = 0;

	while (n < max) {
		field[n++] = line;
		if ((line = strchr(line, ',')) == NULL)
			break;
		*line++ = '\0';
	}
	return n;
}

static int64_t
stat_num(char **field, int n, int col)
{
	return col >= 0 && col < n && *field[col] != '\0' ?
	    strtoll(field[col], NULL, 10) : 0;
}

static const char *
stat_str(char **field, int n, int col)
{
	return col >= 0 && col < n ? field[col] : "";
}

int
lb_stat_parse(const char *text, lb_row_fn fn, void *arg, char **cause)
{
	struct lb_row	 row;
	char		*copy, *line, *save, *field[STAT_MAX_COLUMNS];
	int		 idx[COL_COUNT], i, j, n;

	copy = xstrdup(text);
	line = strtok_r(copy, "\n", &save);
	if (line == NULL || strncmp(line, "# ", 2) != 0) {
		*cause = xstrdup("show stat: no header line");
		free(copy);
		return -1;
	}
	n = stat_split(line + 2, field, STAT_MAX_COLUMNS);
	for (i = 0; i < COL_COUNT; i++) {
		idx[i] = -1;
		for (j = 0; j < n; j++)
			if (strcmp(field[j], stat_col_names[i]) == 0)
				idx[i] = j;
		/* addr came late (1.9); the rest are ancient. */
		if (idx[i] == -1 && i != COL_ADDR) {
			*cause = xasprintf("show stat: no column %s",
			    stat_col_names[i]);
			free(copy);
			return -1;
		}
	}
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		n = stat_split(line, field, STAT_MAX_COLUMNS);
		if (n <= idx[COL_PXNAME] || n <= idx[COL_SVNAME])
			continue;
		row.svname = field[idx[COL_SVNAME]];
		if (strcmp(row.svname, "FRONTEND") == 0 ||
		    strcmp(row.svname, "BACKEND") == 0)
			continue;
		row.pxname = field[idx[COL_PXNAME]];
		row.status = stat_str(field, n, idx[COL_STATUS]);
		row.check = stat_str(field, n, idx[COL_CHECK]);
		row.addr = stat_str(field, n, idx[COL_ADDR]);
		row.scur = stat_num(field, n, idx[COL_SCUR]);
		row.qcur = stat_num(field, n, idx[COL_QCUR]);
		row.rate = stat_num(field, n, idx[COL_RATE]);
		row.hrsp_5xx = stat_num(field, n, idx[COL_5XX]);
		fn(&row, arg);
	}
	free(copy);
	return 0;
}
