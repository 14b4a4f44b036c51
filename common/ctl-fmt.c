/*
 * ctl-fmt.c — see ctl-fmt.h.
 *
 * The console's columns are five or six cells wide, so each form keeps
 * to that whatever the value: large counts and rates take a k/M/G
 * suffix and long latencies switch to seconds, with the unit written so
 * that "12.0s" under a "P99MS" title cannot be read as 12 ms.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl-fmt.h"

/* Beyond this a value is shown as "-": no real count or duration gets
 * there (31 million years in seconds), and it would not fit a long long
 * or the buffers as an integer anyway. */
#define CTL_FMT_MAX	1e15

/* 1 when `v` is not a value to show: missing (negative), NaN, absurd. */
static int
ctl_fmt_none(char *buf, size_t size, double v)
{
	if (isfinite(v) && v >= 0 && v < CTL_FMT_MAX)
		return 0;
	snprintf(buf, size, "-");
	return 1;
}

char *
ctl_fmt_duration(char *buf, size_t size, double seconds)
{
	long long	s;

	if (ctl_fmt_none(buf, size, seconds))
		return buf;
	s = (long long)seconds;
	if (s < 60)
		snprintf(buf, size, "%llds", s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%lldd%02lldh", s / 86400,
		    s % 86400 / 3600);
	return buf;
}

char *
ctl_fmt_count(char *buf, size_t size, double v)
{
	if (ctl_fmt_none(buf, size, v))
		return buf;
	if (v < 10000)
		snprintf(buf, size, "%.0f", v);
	else if (v < 999500)
		snprintf(buf, size, "%.1fk", v / 1e3);
	else if (v < 999500000)
		snprintf(buf, size, "%.1fM", v / 1e6);
	else
		snprintf(buf, size, "%.1fG", v / 1e9);
	return buf;
}

char *
ctl_fmt_ratio(char *buf, size_t size, double a, double b)
{
	char	x[CTL_FMT_SIZE], y[CTL_FMT_SIZE];

	snprintf(buf, size, "%s/%s", ctl_fmt_count(x, sizeof x, a),
	    ctl_fmt_count(y, sizeof y, b));
	return buf;
}

char *
ctl_fmt_rate(char *buf, size_t size, double v)
{
	if (ctl_fmt_none(buf, size, v))
		return buf;
	if (v < 999.95)
		snprintf(buf, size, "%.1f", v);
	else
		ctl_fmt_count(buf, size, v);
	return buf;
}

char *
ctl_fmt_ms(char *buf, size_t size, double ms)
{
	if (ctl_fmt_none(buf, size, ms))
		return buf;
	if (ms < 9.995)
		snprintf(buf, size, "%.2f", ms);
	else if (ms < 999.5)
		snprintf(buf, size, "%.1f", ms);
	else if (ms < 9999.5)
		snprintf(buf, size, "%.0f", ms);
	else if (ms < 99950)
		snprintf(buf, size, "%.1fs", ms / 1000);
	else
		snprintf(buf, size, "%.0fs", ms / 1000);
	return buf;
}

char *
ctl_fmt_latency(char *buf, size_t size, double ms)
{
	size_t	 len = strlen(ctl_fmt_ms(buf, size, ms));

	/* Append the unit unless there is one ("12.0s") or no value; half a
	 * unit would mislead, so none when it does not fit. */
	if (len > 0 && strcmp(buf, "-") != 0 && buf[len - 1] != 's' &&
	    len + 3 <= size)
		memcpy(buf + len, "ms", 3);
	return buf;
}

char *
ctl_fmt_int(char *buf, size_t size, double v)
{
	if (!ctl_fmt_none(buf, size, v))
		snprintf(buf, size, "%.0f", v);
	return buf;
}

char *
ctl_fmt_time(char *buf, size_t size, double unix_time, int date)
{
	struct tm	tm;
	time_t		t;

	/* 0 is the time of an event the daemon sent without one. */
	if (ctl_fmt_none(buf, size, unix_time > 0 ? unix_time : -1))
		return buf;
	t = (time_t)unix_time;
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S",
	    &tm) == 0)
		snprintf(buf, size, "-");
	return buf;
}
