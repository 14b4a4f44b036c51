/*
 * thumb-module.c — the table thumb.so exports: thumb.c's calls (see
 * render-module.h).  Only this file and thumb.c are in the module.
 */
#include "render-module.h"
#include "thumb.h"

RENDER_MODULE_EXPORT const struct thumb_module pfo3_thumb_module = {
	.head = { .abi = MODULE_ABI, .init = thumb_init },
	.shutdown = thumb_shutdown,
	.probe = thumb_probe,
	.make = thumb_make,
};
