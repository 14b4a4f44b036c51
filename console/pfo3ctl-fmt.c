/*
 * pfo3ctl-fmt.c — short human forms of the numbers in a status reply.
 *
 * Columns stay narrow: durations carry two units at most and rates one
 * decimal, which is all a glance at a table needs; --json has the rest.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "pfo3ctl-fmt.h"

/* Beyond this a value is shown as "-": no real count gets there, and a
 * double this size would not fit the buffers as an integer anyway. */
#define PFO3CTL_FMT_MAX	1e15

static int
pfo3ctl_fmt_bad(double v)
{
	return !isfinite(v) || fabs(v) >= PFO3CTL_FMT_MAX;
}

char *
pfo3ctl_fmt_rate(char *buf, size_t size, double v)
{
	if (pfo3ctl_fmt_bad(v))
		snprintf(buf, size, "-");
	else if (fabs(v) < 99.95)
		snprintf(buf, size, "%.1f", v);
	else
		snprintf(buf, size, "%.0f", v);
	return buf;
}

char *
pfo3ctl_fmt_ms(char *buf, size_t size, double ms)
{
	if (pfo3ctl_fmt_bad(ms))
		snprintf(buf, size, "-");
	else if (fabs(ms) < 9.995)
		snprintf(buf, size, "%.2f", ms);
	else if (fabs(ms) < 99.95)
		snprintf(buf, size, "%.1f", ms);
	else
		snprintf(buf, size, "%.0f", ms);
	return buf;
}

char *
pfo3ctl_fmt_count(char *buf, size_t size, double v)
{
	if (pfo3ctl_fmt_bad(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.0f", v);
	return buf;
}

char *
pfo3ctl_fmt_ratio(char *buf, size_t size, double a, double b)
{
	char	x[PFO3CTL_FMT_SIZE], y[PFO3CTL_FMT_SIZE];

	snprintf(buf, size, "%s/%s", pfo3ctl_fmt_count(x, sizeof x, a),
	    pfo3ctl_fmt_count(y, sizeof y, b));
	return buf;
}

char *
pfo3ctl_fmt_time(char *buf, size_t size, double t, int date)
{
	struct tm	tm;
	time_t		tt;

	if (pfo3ctl_fmt_bad(t) || t < 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	tt = (time_t)t;
	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S",
	    &tm) == 0)
		snprintf(buf, size, "-");
	return buf;
}
