/*
 * haproxy-stat.h — HAProxy's `show stat` CSV, read by column name.
 */
#ifndef PFO3_HAPROXY_STAT_H
#define PFO3_HAPROXY_STAT_H

#include <stdint.h>

/* One server row: the columns pfo3-ctld reads. */
struct lb_row {
	const char	*pxname;	/* backend */
	const char	*svname;	/* server */
	const char	*status;	/* UP, DOWN, DRAIN, MAINT, "DOWN (agent)"… */
	const char	*check;		/* check_status: L7OK, L4CON, … */
	const char	*addr;		/* "" when HAProxy has no such column */
	int64_t		 scur;		/* current sessions */
	int64_t		 qcur;		/* queued requests */
	int64_t		 rate;		/* sessions per second */
	int64_t		 hrsp_5xx;	/* 5xx responses */
};

/* Called for each server row (FRONTEND and BACKEND rows are skipped);
 * the strings live until it returns. */
typedef void (*lb_row_fn)(const struct lb_row *row, void *arg);

/* Parses a whole `show stat` reply; 0, or -1 with *cause when it has no
 * header line or lacks a column that is read. */
int	lb_stat_parse(const char *text, lb_row_fn fn, void *arg, char **cause);

#endif
