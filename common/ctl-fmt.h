/*
 * ctl-fmt.h — human forms shared by the control clients (pfo3ctl, the
 * console), so the same value reads the same on both.
 */
#ifndef PFO3_CTL_FMT_H
#define PFO3_CTL_FMT_H

#include <stddef.h>

/*
 * A duration with two units at most ("45s", "12m03s", "3h05m", "2d04h")
 * into buf; "-" for a negative, non-finite or absurd value.  Returns buf.
 */
char	*ctl_fmt_duration(char *buf, size_t size, double seconds);

#endif
