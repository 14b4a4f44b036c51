/*
 * thumb.c — JPEG thumbnails with libvips (see thumb.h).
 *
 * libvips keeps its error messages in one buffer for the whole process.
 * Every call here empties it when it returns (vips_error_buffer_copy()
 * takes and clears it), so messages do not pile up.  When two threads
 * fail at the same moment, one cause may carry both messages and the other
 * a generic one: only the text of a cause can be wrong, never the result.
 */
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include "log.h"
#include "thumb.h"
#include "xmalloc.h"

#define THUMB_QUALITY	80	/* JPEG quality of thumbnails */

static guint	thumb_log_id;

/*
 * libvips reports warnings (a damaged but readable file, say) through
 * GLib logging, which would print them on stderr; send them to our log.
 */
static void
thumb_log(const gchar *domain, GLogLevelFlags level, const gchar *msg,
    gpointer arg)
{
	log_debug("%s: %s", domain != NULL ? domain : "vips", msg);
}

/*
 * Returns "what: <libvips messages>" on one line (newlines become "; ")
 * and clears the libvips error buffer.  `what` says which step failed.
 */
static char *
thumb_cause(const char *what)
{
	char	*msg, *cause;
	size_t	 n;

	msg = vips_error_buffer_copy();
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	if (n == 0)
		cause = xasprintf("%s: unknown image library error", what);
	else {
		char	*p, *q;

		/* At most two bytes grow into "; " per newline. */
		cause = xmalloc(strlen(what) + 2 + 2 * n + 1);
		q = cause + sprintf(cause, "%s: ", what);
		for (p = msg; *p != '\0'; p++) {
			if (*p == '\n') {
				*q++ = ';';
				*q++ = ' ';
			} else
				*q++ = *p;
		}
		*q = '\0';
	}
	g_free(msg);
	return cause;
}

/* Empties the libvips error buffer when its text is not wanted. */
static void
thumb_error_discard(void)
{
	g_free(vips_error_buffer_copy());
}

int
thumb_init(char **cause)
{
	if (VIPS_INIT("pfo3-workerd") != 0) {
		*cause = thumb_cause("cannot start the image library");
		return -1;
	}
	/* A server: no leak report at exit, no operation cache (every
	 * upload is different, and cached images would only hold memory). */
	vips_leak_set(FALSE);
	vips_cache_set_max(0);
	/*
	 * libvips would run one thread per CPU for every pipeline, on top of
	 * the pool threads that call us: one thread each is enough.
	 */
	vips_concurrency_set(1);
	/* Uploads are hostile: no loaders libvips itself does not trust
	 * with such input (ImageMagick, for one). */
	vips_block_untrusted_set(TRUE);
	thumb_log_id = g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING |
	    G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, thumb_log, NULL);
	return 0;
}

void
thumb_shutdown(void)
{
	if (thumb_log_id != 0) {
		g_log_remove_handler("VIPS", thumb_log_id);
		thumb_log_id = 0;
	}
	vips_shutdown();
}

/* True when the loader class named `name` (a GType name from
 * vips_foreign_find_load_buffer()) has been blocked. */
static int
thumb_blocked(const char *name)
{
	GType			 type;
	VipsOperationClass	*class;
	int			 blocked;

	type = g_type_from_name(name);
	if (type == 0)
		return 0;
	class = g_type_class_ref(type);
	blocked = (class->flags & VIPS_OPERATION_BLOCKED) != 0;
	g_type_class_unref(class);
	return blocked;
}

/* "jpeg" for "jpegload_buffer": the loader's nickname up to "load". */
static char *
thumb_format(VipsImage *im)
{
	const char	*loader, *end;

	if (vips_image_get_typeof(im, VIPS_META_LOADER) == 0 ||
	    vips_image_get_string(im, VIPS_META_LOADER, &loader) != 0) {
		thumb_error_discard();
		return xstrdup("unknown");
	}
	end = strstr(loader, "load");
	if (end == NULL || end == loader)
		return xstrdup(loader);
	return xstrndup(loader, end - loader);
}

int
thumb_probe(const void *buf, size_t len, int *width, int *height,
    char **format, char **cause)
{
	VipsImage	*im;
	const char	*loader, *nick;

	if (buf == NULL || len == 0) {
		*cause = xstrdup("not an image: no data");
		return -1;
	}
	loader = vips_foreign_find_load_buffer(buf, len);
	if (loader == NULL) {
		thumb_error_discard();
		*cause = xstrdup("not an image: unknown or unsupported format");
		return -1;
	}
	if (thumb_blocked(loader)) {
		nick = vips_nickname_find(g_type_from_name(loader));
		*cause = xasprintf("not an image: unsupported format (loader "
		    "%s is blocked)", nick != NULL ? nick : loader);
		return -1;
	}
	/* Sequential access: only the header is read here. */
	im = vips_image_new_from_buffer(buf, len, "", "access",
	    VIPS_ACCESS_SEQUENTIAL, NULL);
	if (im == NULL) {
		*cause = thumb_cause("unreadable image header");
		return -1;
	}
	/* The size as displayed, after any EXIF rotation. */
	if (vips_image_get_orientation_swap(im)) {
		*width = vips_image_get_height(im);
		*height = vips_image_get_width(im);
	} else {
		*width = vips_image_get_width(im);
		*height = vips_image_get_height(im);
	}
	*format = thumb_format(im);
	g_object_unref(im);
	thumb_error_discard();	/* warnings of a readable header */
	return 0;
}

/*
 * Turns the thumbnail `in` into something a baseline JPEG holds without
 * loss of meaning: sRGB or grey, 8 bits, no alpha.  Images are sent to
 * sRGB with their own ICC profile first, since the profile is stripped
 * from the file (a Display P3 photo would look dull otherwise).  Every
 * image made is owned by `base`.  Returns the final image or NULL.
 */
static VipsImage *
thumb_prepare(VipsObject *base, VipsImage *in)
{
	VipsImage	**t = (VipsImage **)vips_object_local_array(base, 5);
	VipsArrayDouble	 *white;
	double		  white_px[] = { 255.0, 255.0, 255.0 };
	int		  mono, rv;

	mono = in->Type == VIPS_INTERPRETATION_B_W ||
	    in->Type == VIPS_INTERPRETATION_GREY16;

	if (!mono && in->Coding == VIPS_CODING_NONE &&
	    vips_image_get_typeof(in, VIPS_META_ICC_NAME) != 0) {
		/* A broken or foreign profile falls back to sRGB. */
		if (vips_icc_transform(in, &t[0], "srgb", "embedded", TRUE,
		    "input_profile", "srgb", NULL) != 0)
			return NULL;
		in = t[0];
	}
	if (in->Type != (mono ? VIPS_INTERPRETATION_B_W :
	    VIPS_INTERPRETATION_sRGB)) {
		if (vips_colourspace(in, &t[1], mono ?
		    VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB,
		    NULL) != 0)
			return NULL;
		in = t[1];
	}
	if (vips_image_hasalpha(in)) {
		/* Transparent areas become white, not black. */
		white = vips_array_double_new(white_px, mono ? 1 : 3);
		rv = vips_flatten(in, &t[2], "background", white, NULL);
		vips_area_unref(VIPS_AREA(white));
		if (rv != 0)
			return NULL;
		in = t[2];
	}
	if (in->BandFmt != VIPS_FORMAT_UCHAR) {
		if (vips_cast(in, &t[3], VIPS_FORMAT_UCHAR, NULL) != 0)
			return NULL;
		in = t[3];
	}
	return in;
}

int
thumb_make(const void *buf, size_t len, int size, int64_t max_pixels,
    void **jpeg, size_t *jpeg_len, int *out_w, int *out_h, char **cause)
{
	VipsObject	 *base;
	VipsImage	**t, *im;
	void		 *data = NULL;
	size_t		  n = 0;
	char		 *format;
	int		  w, h;

	if (size < 1 || size > THUMB_MAX_SIZE) {
		*cause = xasprintf("thumbnail size %d is not between 1 and %d",
		    size, THUMB_MAX_SIZE);
		return -1;
	}
	/* The header alone says how big the decoded image would be. */
	if (thumb_probe(buf, len, &w, &h, &format, cause) != 0)
		return -1;
	if ((int64_t)w * h > max_pixels) {
		*cause = xasprintf("%s image of %dx%d is %lld pixels, over the "
		    "limit of %lld pixels", format, w, h,
		    (long long)w * h, (long long)max_pixels);
		free(format);
		return -1;
	}
	free(format);

	base = VIPS_OBJECT(vips_image_new());
	t = (VipsImage **)vips_object_local_array(base, 1);
	/*
	 * The longer side becomes `size` (height defaults to the width:
	 * the thumbnail fits a size × size box), never enlarged.  By
	 * default a truncated file "succeeds" with grey where the data
	 * ended: fail instead.  libvips 8.14.1 does not hand "fail_on" on
	 * to the loader when thumbnailing a buffer, so it is also given in
	 * the loader's option string.  The buffer is only read.
	 */
	if (vips_thumbnail_buffer((void *)buf, len, &t[0], size,
	    "size", VIPS_SIZE_DOWN, "fail_on", VIPS_FAIL_ON_ERROR,
	    "option_string", "fail_on=error", NULL) != 0) {
		*cause = thumb_cause("cannot thumbnail image");
		goto fail;
	}
	if ((im = thumb_prepare(base, t[0])) == NULL) {
		*cause = thumb_cause("cannot convert thumbnail");
		goto fail;
	}
	/* The whole pipeline, decoding included, runs here. */
	if (vips_jpegsave_buffer(im, &data, &n, "Q", THUMB_QUALITY,
	    "strip", TRUE, "optimize_coding", TRUE, NULL) != 0) {
		*cause = thumb_cause("cannot make thumbnail");
		goto fail;
	}
	*jpeg = xmalloc(n);
	memcpy(*jpeg, data, n);
	*jpeg_len = n;
	*out_w = vips_image_get_width(im);
	*out_h = vips_image_get_height(im);
	g_free(data);
	g_object_unref(base);
	/*
	 * Loaders also leave warnings in the error buffer when they
	 * succeed (a damaged but readable JPEG): drop them, or they would
	 * open the cause of the next failure, in any thread.
	 */
	thumb_error_discard();
	return 0;

fail:
	g_free(data);
	g_object_unref(base);
	return -1;
}
