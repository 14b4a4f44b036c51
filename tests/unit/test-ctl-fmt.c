/*
 * test-ctl-fmt.c — the number forms both control clients print
 * (ctl-fmt.h): durations, counts, rates, milliseconds with and without
 * their unit, ratios, integers and times, and "-" for what is missing,
 * not finite or absurd.
 */
#include <math.h>
#include <stdlib.h>

#include "ctl-fmt.h"
#include "tap.h"

static void
test_duration(void)
{
	char	b[CTL_FMT_SIZE];

	tap_is_str(ctl_fmt_duration(b, sizeof b, 0), "0s", "0 s");
	tap_is_str(ctl_fmt_duration(b, sizeof b, 59.9), "59s", "59.9 s");
	tap_is_str(ctl_fmt_duration(b, sizeof b, 723), "12m03s", "723 s");
	tap_is_str(ctl_fmt_duration(b, sizeof b, 11100), "3h05m", "11100 s");
	tap_is_str(ctl_fmt_duration(b, sizeof b, 187200), "2d04h",
	    "187200 s");
	tap_is_str(ctl_fmt_duration(b, sizeof b, -1), "-", "-1 s: '-'");
	tap_is_str(ctl_fmt_duration(b, sizeof b, NAN), "-", "NaN: '-'");
	tap_is_str(ctl_fmt_duration(b, sizeof b, 1e300), "-", "1e300 s: '-'");
}

static void
test_count(void)
{
	char	b[CTL_FMT_SIZE];

	tap_is_str(ctl_fmt_count(b, sizeof b, 0), "0", "count 0");
	tap_is_str(ctl_fmt_count(b, sizeof b, 9999), "9999", "count 9999");
	tap_is_str(ctl_fmt_count(b, sizeof b, 12345), "12.3k", "count 12345");
	tap_is_str(ctl_fmt_count(b, sizeof b, 4.5e6), "4.5M", "count 4.5e6");
	tap_is_str(ctl_fmt_count(b, sizeof b, 1.2e9), "1.2G", "count 1.2e9");
	tap_is_str(ctl_fmt_count(b, sizeof b, 1e14), "100000.0G",
	    "count 1e14: still a number");
	tap_is_str(ctl_fmt_count(b, sizeof b, 1e16), "-", "count 1e16: '-'");
	tap_is_str(ctl_fmt_count(b, sizeof b, -1), "-", "count -1 "
	    "(missing in the model): '-'");
	tap_is_str(ctl_fmt_count(b, sizeof b, INFINITY), "-",
	    "count inf: '-', not \"infG\"");
	tap_is_str(ctl_fmt_ratio(b, sizeof b, 7, 15), "7/15", "7/15");
	tap_is_str(ctl_fmt_ratio(b, sizeof b, -1, 15), "-/15",
	    "a missing numerator");
	tap_is_str(ctl_fmt_int(b, sizeof b, 43210), "43210",
	    "an integer (a pid) stays exact");
	tap_is_str(ctl_fmt_int(b, sizeof b, NAN), "-", "integer NaN: '-'");
}

static void
test_rate(void)
{
	char	b[CTL_FMT_SIZE];

	tap_is_str(ctl_fmt_rate(b, sizeof b, 0), "0.0", "rate 0");
	tap_is_str(ctl_fmt_rate(b, sizeof b, 99.96), "100.0", "rate 99.96");
	tap_is_str(ctl_fmt_rate(b, sizeof b, 999.94), "999.9",
	    "rate 999.94");
	tap_is_str(ctl_fmt_rate(b, sizeof b, 1234), "1234", "rate 1234");
	tap_is_str(ctl_fmt_rate(b, sizeof b, 12345), "12.3k", "rate 12345");
	tap_is_str(ctl_fmt_rate(b, sizeof b, INFINITY), "-", "rate inf");
	tap_is_str(ctl_fmt_rate(b, sizeof b, -1), "-", "rate -1");
}

static void
test_ms(void)
{
	char	b[CTL_FMT_SIZE];

	tap_is_str(ctl_fmt_ms(b, sizeof b, 0.042), "0.04", "0.042 ms");
	tap_is_str(ctl_fmt_ms(b, sizeof b, 12.34), "12.3", "12.34 ms");
	tap_is_str(ctl_fmt_ms(b, sizeof b, 250), "250.0", "250 ms");
	tap_is_str(ctl_fmt_ms(b, sizeof b, 1234.5), "1234", "1234.5 ms");
	tap_is_str(ctl_fmt_ms(b, sizeof b, 12000), "12.0s",
	    "12000 ms: in seconds, with the unit");
	tap_is_str(ctl_fmt_ms(b, sizeof b, 250000), "250s", "250000 ms");
	tap_is_str(ctl_fmt_ms(b, sizeof b, -1), "-", "-1 ms: '-'");
	tap_is_str(ctl_fmt_latency(b, sizeof b, 0.42), "0.42ms",
	    "latency 0.42 ms, with its unit");
	tap_is_str(ctl_fmt_latency(b, sizeof b, 12000), "12.0s",
	    "latency 12000 ms: \"12.0s\", not \"12.0sms\"");
	tap_is_str(ctl_fmt_latency(b, sizeof b, NAN), "-", "latency NaN");
	tap_is_str(ctl_fmt_latency(b, 5, 1234), "1234",
	    "a buffer too short for the unit keeps the number");
	tap_is_str(ctl_fmt_latency(b, 6, 1234), "1234",
	    "... and no half unit (\"1234m\")");
	tap_is_str(ctl_fmt_latency(b, 7, 1234), "1234ms",
	    "a buffer just large enough");
}

static void
test_time(void)
{
	char	b[CTL_FMT_SIZE];

	tap_is_str(ctl_fmt_time(b, sizeof b, 1795928400.9, 0), "05:00:00",
	    "a time");
	tap_is_str(ctl_fmt_time(b, sizeof b, 1795928400, 1),
	    "2026-11-29 05:00:00", "a time with its date");
	tap_is_str(ctl_fmt_time(b, sizeof b, 0, 0), "-", "no time: '-'");
	tap_is_str(ctl_fmt_time(b, sizeof b, NAN, 1), "-", "NaN: '-'");
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	test_duration();
	test_count();
	test_rate();
	test_ms();
	test_time();
	return tap_done();
}
