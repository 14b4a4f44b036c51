/*
 * thumb-load.c — the worker's side of thumb.h: the calls are made by
 * thumb.c in the module thumb.so (module.h), loaded and started the
 * first time a thumbnail is wanted.  When it cannot be loaded, every
 * call fails with the reason, and the job with it.
 */
#include <pthread.h>
#include <stdlib.h>

#include "module.h"
#include "render-module.h"
#include "thumb.h"
#include "xmalloc.h"

static pthread_once_t			 thumb_once = PTHREAD_ONCE_INIT;
static const struct thumb_module	*thumb_ops;	/* NULL: not usable */
static char				*thumb_error;	/* why not */

void
thumb_env_init(void)
{
	/*
	 * libvips loads every module of its vips-modules-8.14 directory at
	 * start (HEIF with the x265 and aom codecs, JPEG XL, ImageMagick,
	 * OpenSlide, PDF with poppler), found under $VIPSHOME, or its
	 * installation prefix when VIPSHOME is unset.  Uploads are
	 * thumbnailed from the formats libvips itself reads (JPEG, PNG,
	 * WebP, GIF, TIFF, …): pointing VIPSHOME at our module directory,
	 * which holds no such modules, keeps those libraries out of the
	 * worker and those formats refused.  libvips would also set
	 * VIPSHOME itself when it starts, in whatever thread makes the first
	 * thumbnail, while other threads may read the environment: set here,
	 * before any thread, it is only read.  A VIPSHOME of the operator's
	 * own is kept.
	 */
	setenv("VIPSHOME", module_dir(), 0);
}

static void
thumb_load(void)
{
	thumb_env_init();
	thumb_ops = (const struct thumb_module *)module_start(THUMB_MODULE_FILE,
	    THUMB_MODULE_SYMBOL, "thumbnails", &thumb_error);
}

int
thumb_init(char **cause)
{
	pthread_once(&thumb_once, thumb_load);
	if (thumb_ops == NULL) {
		*cause = xstrdup(thumb_error);
		return -1;
	}
	return 0;
}

void
thumb_shutdown(void)
{
	/* Nothing to stop when no thumbnail was ever made. */
	if (thumb_ops != NULL)
		thumb_ops->shutdown();
}

int
thumb_probe(const void *buf, size_t len, int *width, int *height,
    char **format, char **cause)
{
	if (thumb_init(cause) != 0)
		return -1;
	return thumb_ops->probe(buf, len, width, height, format, cause);
}

int
thumb_make(const void *buf, size_t len, int size, int64_t max_pixels,
    void **jpeg, size_t *jpeg_len, int *out_w, int *out_h, char **cause)
{
	if (thumb_init(cause) != 0)
		return -1;
	return thumb_ops->make(buf, len, size, max_pixels, jpeg, jpeg_len,
	    out_w, out_h, cause);
}
