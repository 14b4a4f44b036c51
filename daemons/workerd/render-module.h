/*
 * render-module.h — the tables the renderer modules export (module.h):
 * the calls of thumb.h and report-pdf.h, made in the module.
 */
#ifndef PFO3_RENDER_MODULE_H
#define PFO3_RENDER_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include "module.h"
#include "report-pdf.h"

#define THUMB_MODULE_FILE	"thumb.so"
#define THUMB_MODULE_SYMBOL	"pfo3_thumb_module"
#define REPORT_MODULE_FILE	"report.so"
#define REPORT_MODULE_SYMBOL	"pfo3_report_module"

/* Exported by the modules; everything else in them is hidden. */
#define RENDER_MODULE_EXPORT	__attribute__((visibility("default")))

/* thumb.so: thumb.h's calls, made with libvips. */
struct thumb_module {
	struct module_head head;	/* init: thumb_init() */
	void	(*shutdown)(void);
	int	(*probe)(const void *buf, size_t len, int *width,
		    int *height, char **format, char **cause);
	int	(*make)(const void *buf, size_t len, int size,
		    int64_t max_pixels, void **jpeg, size_t *jpeg_len,
		    int *out_w, int *out_h, char **cause);
};

/* report.so: report-pdf.h's renderer, with cairo and pango. */
struct report_module {
	struct module_head head;	/* init: report_pdf_init() */
	int	(*render)(const struct report_data *d, char **pdf,
		    size_t *len, char **cause);
};

extern const struct thumb_module	pfo3_thumb_module;
extern const struct report_module	pfo3_report_module;

#endif
