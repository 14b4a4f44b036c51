/*
 * console-format.h — numbers, durations, pool bars and sparklines as
 * short strings for fixed-width columns.  Every function writes into the
 * caller's buffer and returns it; MODEL_NONE prints as "-".
 */
#ifndef PFO3_CONSOLE_FORMAT_H
#define PFO3_CONSOLE_FORMAT_H

#include <stddef.h>

#include "console-model.h"
#include "console-theme.h"

/* Room for any string below except bars and sparklines. */
#define FMT_SHORT	32

/* A count: "0", "1234", "12.3k", "4.5M". */
char	*fmt_count(char *buf, size_t size, double v);
/* A rate: "0.0", "12.3", "1234", "12.3k". */
char	*fmt_rate(char *buf, size_t size, double v);
/* Milliseconds: "0.42", "12.3", "1234", "12.3s". */
char	*fmt_ms(char *buf, size_t size, double ms);
/* Durations: ctl_fmt_duration (common/ctl-fmt.h), as pfo3ctl shows them. */
/* Local wall-clock time of a unix time: "14:02:33". */
char	*fmt_clock(char *buf, size_t size, double unix_time);
/*
 * A bar of `width` cells for busy/total, using the symbol set; rounds a
 * non-zero busy up to one cell so a single busy thread shows.
 */
char	*fmt_bar(char *buf, size_t size, const struct symbols *sym,
	    double busy, double total, int width);
/*
 * The newest `width` samples of `s` as a sparkline scaled to `max` (the
 * pool size): 0 is the lowest glyph, `max` the highest.  With max <= 0
 * the series' own maximum is used.  Fewer samples than `width` leave the
 * left side blank.
 */
char	*fmt_spark(char *buf, size_t size, const struct symbols *sym,
	    const struct model_series *s, double max, int width);

#endif
