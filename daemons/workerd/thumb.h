/*
 * thumb.h — JPEG thumbnails of uploaded images, made with libvips.
 *
 * The work is done by libvips in the module thumb.so (module.h), which
 * the first call loads and starts; every call may be made from any number
 * of threads at once.  thumb_env_init() runs once in the main thread
 * before any other thread starts.
 *
 * Uploaded bytes are untrusted: loaders libvips marks as untrusted (such as
 * ImageMagick) are blocked, the pixel count is checked from the header
 * before anything is decoded, and damaged images (a truncated JPEG) fail
 * instead of giving a half-grey thumbnail.
 *
 * Errors return -1 and set *cause to one line the caller frees.
 */
#ifndef PFO3_THUMB_H
#define PFO3_THUMB_H

#include <stddef.h>
#include <stdint.h>

#define THUMB_MAX_SIZE	4096	/* largest thumbnail side thumb_make() makes */

/* Prepares the environment libvips reads when it starts (thumb-load.c). */
void	thumb_env_init(void);
/*
 * Loads thumb.so and starts libvips for a server, the first time (the
 * other calls do it when needed).  -1 and *cause when the module cannot
 * be loaded or started, then and at every later call.
 */
int	thumb_init(char **cause);
/* Stops libvips, if started, once every thread that used it is gone. */
void	thumb_shutdown(void);

/*
 * Reads only the header of the image in buf/len (nothing is decoded) and
 * sets *width and *height (as displayed: an EXIF rotation by 90° swaps
 * them) and *format, the short name of the loader ("jpeg", "png", "webp",
 * …; the caller frees it).  -1 and *cause when the bytes are not an image,
 * or one in a blocked or unsupported format.
 */
int	thumb_probe(const void *buf, size_t len, int *width, int *height,
	    char **format, char **cause);

/*
 * Makes a JPEG thumbnail whose longer side is `size` pixels (1 to
 * THUMB_MAX_SIZE); smaller images keep their size.  Images of more than
 * `max_pixels` pixels (width × height) are refused before decoding.
 * The JPEG has no metadata (EXIF orientation is applied first).  On success
 * *jpeg (freed with free()) and *jpeg_len hold the file and *out_w, *out_h
 * its size; on failure nothing is left allocated but *cause.
 */
int	thumb_make(const void *buf, size_t len, int size, int64_t max_pixels,
	    void **jpeg, size_t *jpeg_len, int *out_w, int *out_h,
	    char **cause);

#endif
