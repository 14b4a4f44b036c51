/*
 * ctl-fmt.h — the human forms of a status's numbers, shared by the
 * control clients (pfo3ctl, pfo3-console) so the same value reads the
 * same on both.
 *
 * Every function writes into the caller's buffer (CTL_FMT_SIZE is room
 * for any of them) and returns it.  A value the daemon did not send is
 * negative in the status model (MODEL_NONE), and shows as "-"; so do
 * non-finite and absurd values.  The forms are short and bounded (six
 * cells at most for a count, rate or latency), because the console puts
 * them in fixed columns; --json carries the exact numbers.
 */
#ifndef PFO3_CTL_FMT_H
#define PFO3_CTL_FMT_H

#include <stddef.h>

#define CTL_FMT_SIZE	32

/* A duration with two units at most: "45s", "12m03s", "3h05m", "2d04h". */
char	*ctl_fmt_duration(char *buf, size_t size, double seconds);
/* A count: "0", "9999", then "12.3k", "4.5M", "1.2G". */
char	*ctl_fmt_count(char *buf, size_t size, double v);
/* "busy/total" of two counts: "3/5", "-/64". */
char	*ctl_fmt_ratio(char *buf, size_t size, double a, double b);
/* A rate per second: one decimal below 1000 ("0.0", "999.9"), then as a
 * count ("1234" is "1234", 12345 is "12.3k"). */
char	*ctl_fmt_rate(char *buf, size_t size, double v);
/* Milliseconds for a column titled in ms: "0.42", "12.3", "1234", and
 * from 10 s on in seconds with the unit: "12.0s". */
char	*ctl_fmt_ms(char *buf, size_t size, double ms);
/* The same with its unit, for text without a column title: "0.42ms",
 * "1234ms", "12.0s". */
char	*ctl_fmt_latency(char *buf, size_t size, double ms);
/* An exact integer such as a pid or an interval: "4321". */
char	*ctl_fmt_int(char *buf, size_t size, double v);
/* The local wall-clock time of a unix time, "05:07:39", with the date
 * when `date` is set: "2026-11-29 05:07:39".  Zero is "no time". */
char	*ctl_fmt_time(char *buf, size_t size, double unix_time, int date);

#endif
