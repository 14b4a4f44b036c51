/*
 * report-load.c — the worker's side of report-pdf.h's renderer: the
 * calls are made by report-pdf.c in the module report.so (module.h),
 * loaded and started (fontconfig's cache read) the first time a report
 * is rendered.  When it cannot be loaded or finds no font, every
 * rendering fails with the reason, and the job with it.
 */
#include <pthread.h>
#include <stdlib.h>

#include "module.h"
#include "render-module.h"
#include "report-pdf.h"
#include "xmalloc.h"

static pthread_once_t			 report_once = PTHREAD_ONCE_INIT;
static const struct report_module	*report_ops;	/* NULL: not usable */
static char				*report_error;	/* why not */

static void
report_load(void)
{
	report_ops = (const struct report_module *)module_start(
	    REPORT_MODULE_FILE, REPORT_MODULE_SYMBOL, "reports",
	    &report_error);
}

int
report_pdf_init(char **cause)
{
	pthread_once(&report_once, report_load);
	if (report_ops == NULL) {
		*cause = xstrdup(report_error);
		return -1;
	}
	return 0;
}

int
report_pdf_render(const struct report_data *d, char **pdf, size_t *len,
    char **cause)
{
	*pdf = NULL;
	*len = 0;
	if (report_pdf_init(cause) != 0)
		return -1;
	return report_ops->render(d, pdf, len, cause);
}
