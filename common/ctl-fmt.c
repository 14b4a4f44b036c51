/* ctl-fmt.c — see ctl-fmt.h. */
#include <math.h>
#include <stdio.h>

#include "ctl-fmt.h"

/* Beyond this (about 31 million years) a duration is shown as "-": it
 * would not fit a long long of seconds anyway. */
#define CTL_FMT_MAX_S	1e15

char *
ctl_fmt_duration(char *buf, size_t size, double seconds)
{
	long long	s;

	if (!isfinite(seconds) || seconds < 0 || seconds >= CTL_FMT_MAX_S) {
		snprintf(buf, size, "-");
		return buf;
	}
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
