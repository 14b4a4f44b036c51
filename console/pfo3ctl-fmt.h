/*
 * pfo3ctl-fmt.h — numbers of a status reply as short human strings.
 * Each writes into the caller's buffer and returns it; a missing value
 * (NaN) is shown as "-".
 */
#ifndef PFO3CTL_FMT_H
#define PFO3CTL_FMT_H

#include <stddef.h>
#include <time.h>

#define PFO3CTL_FMT_SIZE	32

/* Durations: ctl_fmt_duration (common/ctl-fmt.h), shared with the console. */
/* One decimal below 100 (12.3), none above (1234). */
char	*pfo3ctl_fmt_rate(char *buf, size_t size, double v);
/* Milliseconds: 0.42, 12.3, 1234. */
char	*pfo3ctl_fmt_ms(char *buf, size_t size, double ms);
/* A count: an integer, or "-". */
char	*pfo3ctl_fmt_count(char *buf, size_t size, double v);
/* "busy/total" for two counts: 3/5. */
char	*pfo3ctl_fmt_ratio(char *buf, size_t size, double a, double b);
/* Local wall-clock time of a unix time: 05:07:39 (with the date when
 * `date` is set: 2026-11-29 05:07:39). */
char	*pfo3ctl_fmt_time(char *buf, size_t size, double t, int date);

#endif
