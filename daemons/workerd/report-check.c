/*
 * report-check.c — the report's input: what a month of a user may hold
 * (bounded strings, counts in range) before anything is drawn.  Which
 * months exist is report-month.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report-pdf-int.h"
#include "xmalloc.h"

/* Checks one string of the report: present, bounded, UTF-8, printable. */
static int
rp_check_string(const char *what, const char *s, int empty_ok, char **cause)
{
	const char	*p;
	gunichar	 c;

	if (s == NULL) {
		*cause = xasprintf("report %s is missing", what);
		return -1;
	}
	if (strnlen(s, REPORT_MAX_STRING + 1) > REPORT_MAX_STRING) {
		*cause = xasprintf("report %s is over %d bytes", what,
		    REPORT_MAX_STRING);
		return -1;
	}
	if (!empty_ok && *s == '\0') {
		*cause = xasprintf("report %s is empty", what);
		return -1;
	}
	if (!g_utf8_validate(s, -1, NULL)) {
		*cause = xasprintf("report %s is not valid UTF-8", what);
		return -1;
	}
	for (p = s; *p != '\0'; p = g_utf8_next_char(p)) {
		c = g_utf8_get_char(p);
		if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
			*cause = xasprintf("report %s holds a control "
			    "character", what);
			return -1;
		}
	}
	return 0;
}

/* Checks one value `v` (of day `day`, 0 for a total) is in 0..max. */
static int
rp_check_value(const char *what, int day, int64_t v, int64_t max,
    char **cause)
{
	if (v >= 0 && v <= max)
		return 0;
	if (day > 0)
		*cause = xasprintf("report %s of day %d is out of range "
		    "(%lld; 0..%lld)", what, day, (long long)v, (long long)max);
	else
		*cause = xasprintf("report total %s is out of range "
		    "(%lld; 0..%lld)", what, (long long)v, (long long)max);
	return -1;
}

/* Refuses what cannot be a month of a user. */
int
rp_check(const struct report_data *d, char **cause)
{
	const struct report_totals	*t;
	int				 i, want;

	if (d == NULL) {
		*cause = xstrdup("no report data");
		return -1;
	}
	if (rp_check_string("name", d->name, 1, cause) != 0 ||
	    rp_check_string("email", d->email, 0, cause) != 0 ||
	    rp_check_string("month", d->month, 0, cause) != 0)
		return -1;
	if ((want = report_month_days(d->month)) == -1) {
		*cause = xstrdup("report month is not YYYY-MM");
		return -1;
	}
	if (d->days < REPORT_MIN_DAYS || d->days > REPORT_MAX_DAYS) {
		*cause = xasprintf("report days %d is not %d..%d", d->days,
		    REPORT_MIN_DAYS, REPORT_MAX_DAYS);
		return -1;
	}
	if (d->days != want) {
		*cause = xasprintf("report month %s has %d days, not %d",
		    d->month, want, d->days);
		return -1;
	}
	for (i = 0; i < d->days; i++) {
		if (rp_check_value("logins", i + 1, d->logins[i],
		    REPORT_MAX_COUNT, cause) != 0 ||
		    rp_check_value("uploads", i + 1, d->uploads[i],
		    REPORT_MAX_COUNT, cause) != 0 ||
		    rp_check_value("upload bytes", i + 1, d->upload_bytes[i],
		    REPORT_MAX_BYTES, cause) != 0 ||
		    rp_check_value("tasks", i + 1, d->tasks[i],
		    REPORT_MAX_COUNT, cause) != 0)
			return -1;
	}
	t = &d->totals;
	if (rp_check_value("logins", 0, t->logins, REPORT_MAX_COUNT,
	    cause) != 0 ||
	    rp_check_value("uploads", 0, t->uploads, REPORT_MAX_COUNT,
	    cause) != 0 ||
	    rp_check_value("upload bytes", 0, t->upload_bytes,
	    REPORT_MAX_BYTES, cause) != 0 ||
	    rp_check_value("tasks", 0, t->tasks, REPORT_MAX_COUNT,
	    cause) != 0 ||
	    rp_check_value("reports", 0, t->reports, REPORT_MAX_COUNT,
	    cause) != 0)
		return -1;
	return 0;
}
