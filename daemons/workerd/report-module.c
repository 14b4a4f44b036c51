/*
 * report-module.c — the table report.so exports: the renderer of
 * report-pdf.c (see render-module.h).  The module holds the files that
 * check and draw (report-check.c, report-pdf.c, report-draw.c); the
 * calendar and number formats they use stay in the worker, which uses
 * them too (module-host.sym).
 */
#include "render-module.h"
#include "report-pdf.h"

RENDER_MODULE_EXPORT const struct report_module pfo3_report_module = {
	.head = { .abi = MODULE_ABI, .init = report_pdf_init },
	.render = report_pdf_render,
};
