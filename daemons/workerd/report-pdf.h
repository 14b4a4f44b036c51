/*
 * report-pdf.h — the monthly report of one user as a one-page A4 PDF: a
 * title, the user and the month, a table of the month's totals, a bar
 * chart of uploads and tasks per day and, when it fits on the page, a
 * table of every day.
 *
 * All text is laid out by pango (shaping, fallback fonts) and drawn by
 * cairo into memory.  Every call owns its cairo surface, its cairo context
 * and its pango font map, so calls run in parallel on any threads; the
 * only state shared between them is fontconfig's, which is thread-safe
 * once initialised by report_pdf_init().
 */
#ifndef PFO3_REPORT_PDF_H
#define PFO3_REPORT_PDF_H

#include <stddef.h>
#include <stdint.h>

#define REPORT_MAX_DAYS		31
#define REPORT_MIN_DAYS		28
#define REPORT_MAX_STRING	256		/* bytes of name or email */
#define REPORT_MAX_COUNT	1000000000000LL		/* 10^12: any count */
#define REPORT_MAX_BYTES	(1LL << 60)		/* 1 EiB: any byte total */
#define REPORT_MAX_PDF		(16 * 1024 * 1024)	/* bytes of output */

struct report_totals {
	int64_t	 logins;
	int64_t	 uploads;
	int64_t	 upload_bytes;
	int64_t	 tasks;
	int64_t	 reports;
};

/*
 * One user's month.  Strings are borrowed and must be valid UTF-8 of at
 * most REPORT_MAX_STRING bytes without control characters.  `days` is the
 * length of `month` in the calendar (28..31); index i of each per-day
 * array is day i + 1, entries from `days` on are ignored.  Every count
 * is in 0..REPORT_MAX_COUNT and every byte total in 0..REPORT_MAX_BYTES
 * (larger values are refused as nonsense).  The totals are shown as
 * given, not summed here (reports have no per-day series).
 */
struct report_data {
	const char		*name;		/* user's display name */
	const char		*email;
	const char		*month;		/* "YYYY-MM" */
	int			 days;
	int64_t			 logins[REPORT_MAX_DAYS];
	int64_t			 uploads[REPORT_MAX_DAYS];
	int64_t			 upload_bytes[REPORT_MAX_DAYS];
	int64_t			 tasks[REPORT_MAX_DAYS];
	struct report_totals	 totals;
};

/*
 * Initialises fontconfig and warms its font cache.  In the worker, the
 * renderer is the module report.so (report-load.c), which the first call
 * of either function loads and starts; both are then thread-safe.
 * Returns 0, or -1 with *cause when the module cannot be loaded or
 * fontconfig cannot start or finds no font at all (then and at every
 * later call).
 */
int	report_pdf_init(char **cause);

/*
 * Renders `d` to a PDF.  On success returns 0 with *pdf (free() it) and
 * *len set; on bad input or a rendering failure returns -1 with *cause
 * set and *pdf NULL.  Thread-safe after report_pdf_init().
 */
int	report_pdf_render(const struct report_data *d, char **pdf, size_t *len,
	    char **cause);

/*
 * The days of month "YYYY-MM" (28..31), or -1 when it is not such a month
 * (years 1970..9999).
 */
int	report_month_days(const char *month);

/*
 * Writes `bytes` for people ("0 B", "1023 B", "1.5 KiB", "12.0 MiB") into
 * `buf` (at least 16 bytes).  Negative values are written as "-".
 */
void	report_format_bytes(int64_t bytes, char *buf, size_t len);

#endif
