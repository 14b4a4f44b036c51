/*
 * module-installed.c — run by `make installcheck`: the renderer modules
 * are found where an installed worker looks for them (PKGLIBDIR, with
 * PFO3_MODULE_DIR unset), load, start, and render.
 */
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "report-pdf.h"
#include "tap.h"
#include "thumb.h"

int
main(void)
{
	struct report_data	 d;
	char			*cause = NULL, *pdf = NULL;
	size_t			 len = 0;

	tap_ok(getenv("PFO3_MODULE_DIR") == NULL, "PFO3_MODULE_DIR is unset");
	tap_diag("modules from %s", module_dir());
	thumb_env_init();
	if (!tap_ok(thumb_init(&cause) == 0, "the thumbnail module starts"))
		tap_diag("%s", cause);
	free(cause);
	cause = NULL;

	memset(&d, 0, sizeof d);
	d.name = "installcheck";
	d.email = "installcheck@example.org";
	d.month = "2026-10";
	d.days = report_month_days(d.month);
	if (!tap_ok(report_pdf_render(&d, &pdf, &len, &cause) == 0 &&
	    len > 4 && memcmp(pdf, "%PDF", 4) == 0,
	    "the report module renders a PDF"))
		tap_diag("%s", cause != NULL ? cause : "no PDF");
	free(pdf);
	free(cause);
	thumb_shutdown();
	return tap_done();
}
