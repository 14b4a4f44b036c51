/*
 * test-module.c — the renderer modules missing (module.h): with
 * PFO3_MODULE_DIR naming an empty directory, a thumbnail and a report
 * fail with a reason naming the module's path, at every call, and
 * nothing crashes; then a module that is not one (a file of garbage)
 * fails the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report-pdf.h"
#include "tap.h"
#include "thumb.h"

/* thumb_make() on a few bytes: -1 and the cause (the caller frees). */
static char *
thumb_fails(int *rv)
{
	void	*jpeg = NULL;
	size_t	 len = 0;
	char	*cause = NULL;
	int	 w, h;

	*rv = thumb_make("\x89PNG", 4, 128, 1000, &jpeg, &len, &w, &h,
	    &cause);
	free(jpeg);
	return cause;
}

static char *
report_fails(int *rv)
{
	struct report_data	 d;
	char			*pdf = NULL, *cause = NULL;
	size_t			 len = 0;

	memset(&d, 0, sizeof d);
	d.name = "n";
	d.email = "e@example.org";
	d.month = "2026-10";
	d.days = 31;
	*rv = report_pdf_render(&d, &pdf, &len, &cause);
	tap_ok(pdf == NULL && len == 0, "no PDF is left behind");
	return cause;
}

int
main(void)
{
	char	 dir[] = "/tmp/pfo3-test-module.XXXXXX", path[64];
	char	*cause, *again;
	FILE	*f;
	int	 rv;

	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "mkdtemp");
		return tap_done();
	}
	setenv("PFO3_MODULE_DIR", dir, 1);
	thumb_env_init();
	tap_is_str(getenv("VIPSHOME"), dir, "VIPSHOME points at the module "
	    "directory (no libvips modules there)");

	/* A report module that is garbage, a thumbnail module absent. */
	snprintf(path, sizeof path, "%s/report.so", dir);
	if ((f = fopen(path, "w")) != NULL) {
		fputs("not an ELF file\n", f);
		fclose(f);
	}

	cause = thumb_fails(&rv);
	tap_is_int(rv, -1, "a thumbnail without its module fails");
	tap_ok(cause != NULL && strstr(cause, "thumbnails are unavailable") &&
	    strstr(cause, dir) && strstr(cause, "thumb.so"),
	    "with the reason: %s", cause != NULL ? cause : "(none)");
	again = thumb_fails(&rv);
	tap_ok(rv == -1 && again != NULL && cause != NULL &&
	    strcmp(cause, again) == 0, "and again, with the same reason");
	free(cause);
	free(again);

	cause = report_fails(&rv);
	tap_is_int(rv, -1, "a report with a broken module fails");
	tap_ok(cause != NULL && strstr(cause, "reports are unavailable") &&
	    strstr(cause, "report.so"),
	    "with the reason: %s", cause != NULL ? cause : "(none)");
	free(cause);
	tap_is_int(report_pdf_init(&cause), -1, "report_pdf_init fails too");
	free(cause);

	thumb_shutdown();	/* nothing was started: nothing to stop */
	unlink(path);
	rmdir(dir);
	return tap_done();
}
