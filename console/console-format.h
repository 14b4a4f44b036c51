/*
 * console-format.h — pool bars and sparklines as short strings for
 * fixed-width columns; numbers are formatted by ctl-fmt.h, as pfo3ctl
 * formats them.  Every function writes into the caller's buffer and
 * returns it.
 */
#ifndef PFO3_CONSOLE_FORMAT_H
#define PFO3_CONSOLE_FORMAT_H

#include <stddef.h>

#include "status-model.h"
#include "console-theme.h"

#include "ctl-fmt.h"

/* Room for a number of ctl-fmt.h. */
#define FMT_SHORT	CTL_FMT_SIZE

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
