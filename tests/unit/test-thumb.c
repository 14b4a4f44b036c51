/* test-thumb.c — JPEG thumbnails (thumb.c): sizes, no upscaling, refusal
 * of damaged files, non-images and oversized images, colour handling,
 * concurrent use, and bounded memory.  Every input is made here with
 * libvips; nothing is read from disk. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include "tap.h"
#include "thumb.h"

#define LIMIT	INT64_C(50000000)	/* the default files.max_pixels */

struct blob {
	void	*data;
	size_t	 len;
};

/* A w × h sRGB gradient, or grey (1 band) when `grey`; with `alpha`, a
 * fourth band that is transparent on the left half. */
static VipsImage *
make_image(int w, int h, int grey, int alpha)
{
	VipsImage	*base, **t, *out;

	base = vips_image_new();
	t = (VipsImage **)vips_object_local_array(VIPS_OBJECT(base), 8);
	if (vips_xyz(&t[0], w, h, NULL) ||
	    vips_remainder_const1(t[0], &t[1], 256, NULL) ||
	    vips_cast(t[1], &t[2], VIPS_FORMAT_UCHAR, NULL) ||
	    vips_bandjoin_const1(t[2], &t[3], 128, NULL) ||
	    vips_copy(t[3], &t[4], "interpretation",
	    VIPS_INTERPRETATION_sRGB, NULL))
		vips_error_exit("make_image");
	out = t[4];
	if (grey) {
		if (vips_extract_band(out, &t[5], 0, NULL) ||
		    vips_copy(t[5], &t[6], "interpretation",
		    VIPS_INTERPRETATION_B_W, NULL))
			vips_error_exit("make_image grey");
		out = t[6];
	}
	if (alpha) {
		/* x < w/2 → 0 (transparent), else 255. */
		if (vips_extract_band(t[0], &t[5], 0, NULL) ||
		    vips_more_const1(t[5], &t[6], w / 2 - 1, NULL) ||
		    vips_bandjoin2(out, t[6], &t[7], NULL))
			vips_error_exit("make_image alpha");
		out = t[7];
	}
	/* Render it, so the result outlives `base`. */
	out = vips_image_copy_memory(out);
	if (out == NULL)
		vips_error_exit("make_image copy");
	g_object_unref(base);
	return out;
}

static struct blob
save(VipsImage *im, const char *fmt)
{
	struct blob	b = { NULL, 0 };
	int		rv;

	if (strcmp(fmt, "png") == 0)
		rv = vips_pngsave_buffer(im, &b.data, &b.len, NULL);
	else
		rv = vips_jpegsave_buffer(im, &b.data, &b.len, "Q", 90, NULL);
	if (rv != 0)
		vips_error_exit("save %s", fmt);
	return b;
}

static struct blob
make_file(int w, int h, const char *fmt)
{
	VipsImage	*im;
	struct blob	 b;

	im = make_image(w, h, 0, 0);
	b = save(im, fmt);
	g_object_unref(im);
	return b;
}

/* Decodes `jpeg` fully; returns the image or NULL. */
static VipsImage *
decode(const void *jpeg, size_t len)
{
	VipsImage	*im;
	double		 avg;

	im = vips_image_new_from_buffer(jpeg, len, "", "fail_on",
	    VIPS_FAIL_ON_WARNING, NULL);
	if (im == NULL)
		return NULL;
	if (vips_avg(im, &avg, NULL) != 0) {
		g_object_unref(im);
		return NULL;
	}
	return im;
}

/* One thumbnail checked against the expected size: return code, the size
 * reported, and the decoded output (a JPEG of that size, 8-bit, with no
 * metadata left). */
static void
check_thumb(const struct blob *in, int size, int want_w, int want_h,
    const char *what)
{
	VipsImage	*im;
	void		*jpeg = NULL;
	size_t		 len = 0;
	char		*cause = NULL, *loader = NULL;
	int		 w = 0, h = 0, rv;

	rv = thumb_make(in->data, in->len, size, LIMIT, &jpeg, &len, &w, &h,
	    &cause);
	if (!tap_ok(rv == 0 && cause == NULL, "%s: thumbnail made", what)) {
		tap_diag("cause: %s", cause != NULL ? cause : "(none)");
		free(cause);
		return;
	}
	tap_ok(w == want_w && h == want_h, "%s: reported %dx%d, want %dx%d",
	    what, w, h, want_w, want_h);
	im = decode(jpeg, len);
	if (!tap_ok(im != NULL, "%s: output decodes", what)) {
		tap_diag("%s", vips_error_buffer());
		vips_error_clear();
		free(jpeg);
		return;
	}
	if (vips_image_get_typeof(im, VIPS_META_LOADER) != 0)
		vips_image_get_string(im, VIPS_META_LOADER,
		    (const char **)&loader);
	tap_is_str(loader, "jpegload_buffer", "%s: output is a JPEG", what);
	tap_ok(im->Xsize == want_w && im->Ysize == want_h,
	    "%s: output is %dx%d", what, im->Xsize, im->Ysize);
	tap_ok(im->BandFmt == VIPS_FORMAT_UCHAR, "%s: 8-bit", what);
	tap_ok(vips_image_get_typeof(im, VIPS_META_EXIF_NAME) == 0 &&
	    vips_image_get_typeof(im, VIPS_META_ICC_NAME) == 0 &&
	    vips_image_get_typeof(im, VIPS_META_XMP_NAME) == 0,
	    "%s: no EXIF, ICC or XMP left", what);
	g_object_unref(im);
	free(jpeg);
}

/* thumb_make() must fail with a cause holding every string of `want`. */
static void
check_refused(const void *data, size_t len, int size, int64_t limit,
    const char **want, const char *what)
{
	void	*jpeg = NULL;
	size_t	 n = 0;
	char	*cause = NULL;
	int	 w = -1, h = -1, rv, ok, i;

	rv = thumb_make(data, len, size, limit, &jpeg, &n, &w, &h, &cause);
	ok = rv == -1 && jpeg == NULL && cause != NULL && *cause != '\0';
	for (i = 0; ok && want != NULL && want[i] != NULL; i++)
		ok = strstr(cause, want[i]) != NULL;
	tap_ok(ok, "%s: refused: %s", what, cause != NULL ? cause : "(none)");
	free(cause);
	free(jpeg);
}

/* The pixel of the decoded JPEG `jpeg` at (x, y), in `px` (3 bands). */
static int
pixel(const void *jpeg, size_t len, int x, int y, double *px, int *bands)
{
	VipsImage	*im;
	double		*v;
	int		 n, i;

	if ((im = decode(jpeg, len)) == NULL)
		return -1;
	if (vips_getpoint(im, &v, &n, x, y, NULL) != 0) {
		g_object_unref(im);
		return -1;
	}
	for (i = 0; i < n && i < 3; i++)
		px[i] = v[i];
	*bands = n;
	g_free(v);
	g_object_unref(im);
	return 0;
}

static long
rss_kib(void)
{
	FILE	*f;
	char	 line[256];
	long	 kib = -1;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kib = strtol(line + 6, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kib;
}

/* ---------------------------------------------------------------- threads */

struct worker {
	const struct blob	*png, *jpg, *cut;
	int			 good;	/* correct thumbnails made */
	int			 bad;	/* wrong results */
};

#define THREAD_ROUNDS	8

static void *
worker_main(void *arg)
{
	struct worker	*wk = arg;
	void		*jpeg;
	size_t		 len;
	char		*cause;
	int		 i, w, h, rv;

	for (i = 0; i < THREAD_ROUNDS; i++) {
		cause = NULL;
		jpeg = NULL;
		rv = thumb_make(wk->png->data, wk->png->len, 128, LIMIT,
		    &jpeg, &len, &w, &h, &cause);
		if (rv == 0 && w == 128 && h == 64)
			wk->good++;
		else
			wk->bad++;
		free(jpeg);
		free(cause);

		cause = NULL;
		jpeg = NULL;
		rv = thumb_make(wk->jpg->data, wk->jpg->len, 512, LIMIT,
		    &jpeg, &len, &w, &h, &cause);
		if (rv == 0 && w == 512 && h == 256)
			wk->good++;
		else
			wk->bad++;
		free(jpeg);
		free(cause);

		/* Failures at the same time share libvips' error buffer. */
		cause = NULL;
		jpeg = NULL;
		rv = thumb_make(wk->cut->data, wk->cut->len, 128, LIMIT,
		    &jpeg, &len, &w, &h, &cause);
		if (rv == -1 && jpeg == NULL && cause != NULL)
			wk->good++;
		else
			wk->bad++;
		free(jpeg);
		free(cause);
	}
	return NULL;
}

/* ---------------------------------------------------------------- main */

int
main(void)
{
	struct blob	 png, jpg, small, cut, hdr, rnd, bmp, b;
	struct worker	 wk[4];
	pthread_t	 th[4];
	VipsImage	*im, *tmp;
	void		*jpeg;
	size_t		 len, i;
	double		 px[3];
	char		*cause = NULL, *format = NULL;
	const char	*want[4];
	unsigned char	*p;
	long		 before, after;
	int		 w, h, rv, bands, good, bad, n;

	if (!tap_ok(thumb_init(&cause) == 0, "thumb_init")) {
		tap_diag("%s", cause);
		return tap_done();
	}

	png = make_file(2000, 1000, "png");
	jpg = make_file(2000, 1000, "jpeg");
	small = make_file(100, 50, "png");

	/* --- probe: header only */
	rv = thumb_probe(png.data, png.len, &w, &h, &format, &cause);
	tap_ok(rv == 0 && w == 2000 && h == 1000, "probe PNG: %dx%d", w, h);
	tap_is_str(format, "png", "probe PNG: format");
	free(format);
	format = NULL;
	rv = thumb_probe(jpg.data, jpg.len, &w, &h, &format, &cause);
	tap_ok(rv == 0 && w == 2000 && h == 1000, "probe JPEG: %dx%d", w, h);
	tap_is_str(format, "jpeg", "probe JPEG: format");
	free(format);
	format = NULL;

	/* --- sizes: the longer side becomes `size` */
	check_thumb(&png, 128, 128, 64, "PNG 2000x1000 at 128");
	check_thumb(&png, 512, 512, 256, "PNG 2000x1000 at 512");
	check_thumb(&jpg, 128, 128, 64, "JPEG 2000x1000 at 128");
	check_thumb(&jpg, 512, 512, 256, "JPEG 2000x1000 at 512");
	b = make_file(1000, 2000, "jpeg");
	check_thumb(&b, 128, 64, 128, "JPEG 1000x2000 (portrait) at 128");
	g_free(b.data);

	/* --- smaller images keep their size */
	check_thumb(&small, 128, 100, 50, "PNG 100x50 at 128 is not enlarged");
	check_thumb(&small, 512, 100, 50, "PNG 100x50 at 512 is not enlarged");

	/* --- EXIF orientation 6 (rotate 90°): applied, then stripped */
	im = make_image(2000, 1000, 0, 0);
	if (vips_copy(im, &tmp, NULL) != 0)
		vips_error_exit("copy");
	vips_image_set_int(tmp, VIPS_META_ORIENTATION, 6);
	b = save(tmp, "jpeg");
	g_object_unref(tmp);
	g_object_unref(im);
	rv = thumb_probe(b.data, b.len, &w, &h, &format, &cause);
	tap_ok(rv == 0 && w == 1000 && h == 2000,
	    "probe of a rotated JPEG gives the displayed size: %dx%d", w, h);
	free(format);
	format = NULL;
	check_thumb(&b, 128, 64, 128, "JPEG with orientation 6 at 128");
	g_free(b.data);

	/* --- transparency becomes white; grey stays grey; 16 bits */
	im = make_image(400, 200, 0, 1);
	b = save(im, "png");
	g_object_unref(im);
	check_thumb(&b, 128, 128, 64, "RGBA PNG at 128");
	jpeg = NULL;
	rv = thumb_make(b.data, b.len, 128, LIMIT, &jpeg, &len, &w, &h,
	    &cause);
	if (rv == 0 && pixel(jpeg, len, 5, 32, px, &bands) == 0)
		tap_ok(bands == 3 && px[0] > 245 && px[1] > 245 &&
		    px[2] > 245, "transparent area is white: %d bands, "
		    "%.0f,%.0f,%.0f", bands, px[0], px[1], px[2]);
	else
		tap_ok(0, "transparent area is white: %s",
		    cause != NULL ? cause : "cannot read pixel");
	free(jpeg);
	free(cause);
	cause = NULL;
	g_free(b.data);

	im = make_image(400, 200, 1, 0);
	b = save(im, "png");
	g_object_unref(im);
	check_thumb(&b, 128, 128, 64, "grey PNG at 128");
	jpeg = NULL;
	rv = thumb_make(b.data, b.len, 128, LIMIT, &jpeg, &len, &w, &h,
	    &cause);
	tap_ok(rv == 0 && pixel(jpeg, len, 0, 0, px, &bands) == 0 &&
	    bands == 1, "grey PNG gives a one-band JPEG");
	free(jpeg);
	free(cause);
	cause = NULL;
	g_free(b.data);

	im = make_image(400, 200, 0, 0);
	if (vips_cast(im, &tmp, VIPS_FORMAT_USHORT, NULL) != 0)
		vips_error_exit("cast");
	g_object_unref(im);
	if (vips_copy(tmp, &im, "interpretation", VIPS_INTERPRETATION_RGB16,
	    NULL) != 0)
		vips_error_exit("copy");
	g_object_unref(tmp);
	b = save(im, "png");
	g_object_unref(im);
	check_thumb(&b, 128, 128, 64, "16-bit PNG at 128");
	g_free(b.data);

	/* --- a wide-gamut photo is converted to sRGB before its profile
	 * is stripped: pure sRGB red stays red */
	if (vips_black(&tmp, 400, 200, "bands", 3, NULL) != 0 ||
	    vips_linear(tmp, &im, (double[]){ 0, 0, 0 },
	    (double[]){ 255, 0, 0 }, 3, "uchar", TRUE, NULL) != 0)
		vips_error_exit("red");
	g_object_unref(tmp);
	if (vips_copy(im, &tmp, "interpretation", VIPS_INTERPRETATION_sRGB,
	    NULL) != 0)
		vips_error_exit("copy");
	g_object_unref(im);
	if (vips_icc_transform(tmp, &im, "p3", "input_profile", "srgb",
	    NULL) != 0)
		vips_error_exit("icc_transform p3");
	g_object_unref(tmp);
	b = save(im, "jpeg");
	g_object_unref(im);
	jpeg = NULL;
	rv = thumb_make(b.data, b.len, 128, LIMIT, &jpeg, &len, &w, &h,
	    &cause);
	if (rv == 0 && pixel(jpeg, len, 64, 32, px, &bands) == 0)
		tap_ok(px[0] > 240 && px[1] < 20 && px[2] < 20,
		    "Display P3 red is sRGB red: %.0f,%.0f,%.0f",
		    px[0], px[1], px[2]);
	else
		tap_ok(0, "Display P3 red is sRGB red: %s",
		    cause != NULL ? cause : "cannot read pixel");
	free(jpeg);
	free(cause);
	cause = NULL;
	g_free(b.data);

	/* --- a truncated JPEG fails, though its header is intact */
	cut.data = jpg.data;
	cut.len = jpg.len / 2;
	rv = thumb_probe(cut.data, cut.len, &w, &h, &format, &cause);
	tap_ok(rv == 0 && w == 2000 && h == 1000,
	    "truncated JPEG: the header still reads");
	free(format);
	format = NULL;
	want[0] = "cannot make thumbnail";
	want[1] = NULL;
	check_refused(cut.data, cut.len, 128, LIMIT, want,
	    "JPEG cut in half at 128");
	check_refused(cut.data, cut.len, 512, LIMIT, want,
	    "JPEG cut in half at 512");
	b.data = png.data;
	b.len = png.len / 2;
	check_refused(b.data, b.len, 128, LIMIT, NULL, "PNG cut in half");

	/* --- not images */
	srandom(3);
	rnd.len = 4096;
	rnd.data = malloc(rnd.len);
	for (i = 0, p = rnd.data; i < rnd.len; i++)
		p[i] = random() & 0xff;
	want[0] = "not an image";
	want[1] = NULL;
	check_refused(rnd.data, rnd.len, 128, LIMIT, want, "random bytes");
	rv = thumb_probe(rnd.data, rnd.len, &w, &h, &format, &cause);
	tap_ok(rv == -1 && cause != NULL && strstr(cause, "not an image"),
	    "probe of random bytes: %s", cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	check_refused("hello, world\n", 13, 128, LIMIT, want, "text");
	check_refused("", 0, 128, LIMIT, want, "no bytes");
	check_refused(NULL, 0, 128, LIMIT, want, "NULL");

	/*
	 * A 2x2 BMP: only ImageMagick reads BMP here, a libvips module the
	 * worker keeps libvips from loading (thumb-load.c), and a loader
	 * blocked as untrusted were it loaded.
	 */
	bmp.len = 70;
	bmp.data = calloc(1, bmp.len);
	p = bmp.data;
	p[0] = 'B'; p[1] = 'M'; p[2] = 70; p[10] = 54; p[14] = 40;
	p[18] = 2; p[22] = 2; p[26] = 1; p[28] = 24; p[34] = 16;
	check_refused(bmp.data, bmp.len, 128, LIMIT, want,
	    "BMP (untrusted loader)");

	/* --- the pixel limit */
	want[0] = "5000 pixels";
	want[1] = "limit of 1000 pixels";
	want[2] = NULL;
	check_refused(small.data, small.len, 128, 1000, want,
	    "100x50 with max_pixels 1000");
	want[0] = "100x50";
	want[1] = NULL;
	check_refused(small.data, small.len, 128, 4999, want,
	    "100x50 with max_pixels 4999");
	check_thumb(&small, 128, 100, 50, "100x50 with max_pixels 5000 (at "
	    "the limit)");

	/*
	 * A JPEG whose header claims 60000x50000 (3e9 pixels, ~9 GB once
	 * decoded) over 100x50 of data: refused from the header alone, so
	 * this returns at once with little memory used.
	 */
	b = make_file(100, 50, "jpeg");
	hdr.len = b.len;
	hdr.data = g_memdup2(b.data, b.len);
	g_free(b.data);
	p = hdr.data;
	n = 0;
	for (i = 2; i + 8 < hdr.len; i++) {
		if (p[i] == 0xff && (p[i + 1] == 0xc0 || p[i + 1] == 0xc2)) {
			/* FF C0 len(2) precision(1) height(2) width(2) */
			p[i + 5] = 50000 >> 8;
			p[i + 6] = 50000 & 0xff;
			p[i + 7] = 60000 >> 8;
			p[i + 8] = 60000 & 0xff;
			n++;
			break;
		}
	}
	tap_ok(n == 1, "found the JPEG frame header to enlarge");
	rv = thumb_probe(hdr.data, hdr.len, &w, &h, &format, &cause);
	tap_ok(rv == 0 && w == 60000 && h == 50000,
	    "the enlarged header reads as %dx%d", w, h);
	free(format);
	format = NULL;
	before = rss_kib();
	want[0] = "60000x50000";
	want[1] = "3000000000 pixels";
	want[2] = "limit of 50000000 pixels";
	want[3] = NULL;
	check_refused(hdr.data, hdr.len, 128, LIMIT, want,
	    "3e9-pixel JPEG header");
	after = rss_kib();
	tap_ok(after - before < 10 * 1024,
	    "refused without decoding: RSS grew %ld KiB", after - before);
	g_free(hdr.data);

	/* --- bad sizes */
	check_refused(png.data, png.len, 0, LIMIT, NULL, "size 0");
	check_refused(png.data, png.len, THUMB_MAX_SIZE + 1, LIMIT, NULL,
	    "size over THUMB_MAX_SIZE");

	/* --- four threads at once */
	memset(wk, 0, sizeof wk);
	for (i = 0; i < 4; i++) {
		wk[i].png = &png;
		wk[i].jpg = &jpg;
		wk[i].cut = &cut;
		if (pthread_create(&th[i], NULL, worker_main, &wk[i]) != 0) {
			tap_diag("pthread_create failed");
			exit(1);
		}
	}
	good = bad = 0;
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		good += wk[i].good;
		bad += wk[i].bad;
	}
	tap_ok(good == 4 * THREAD_ROUNDS * 3 && bad == 0,
	    "4 threads: %d right, %d wrong", good, bad);

	/* --- memory stays bounded: 5 rounds to warm up, then 50 rounds of
	 * good and bad input */
	for (i = 0; i < 55; i++) {
		if (i == 5)
			before = rss_kib();
		rv = 0;
		jpeg = NULL;
		rv |= thumb_make(png.data, png.len, 512, LIMIT, &jpeg, &len,
		    &w, &h, &cause);
		free(jpeg);
		jpeg = NULL;
		rv |= thumb_make(jpg.data, jpg.len, 128, LIMIT, &jpeg, &len,
		    &w, &h, &cause);
		free(jpeg);
		jpeg = NULL;
		if (rv != 0)
			break;
		if (thumb_make(cut.data, cut.len, 128, LIMIT, &jpeg, &len,
		    &w, &h, &cause) == 0)
			break;
		free(cause);
		cause = NULL;
		if (thumb_make(rnd.data, rnd.len, 128, LIMIT, &jpeg, &len,
		    &w, &h, &cause) == 0)
			break;
		free(cause);
		cause = NULL;
	}
	after = rss_kib();
	tap_ok(i == 55, "55 rounds ran as expected (stopped at %zu)", i);
	tap_ok(before > 0 && after - before < 20 * 1024,
	    "RSS over 50 rounds: %ld KiB → %ld KiB (+%ld KiB)", before,
	    after, after - before);
	free(cause);

	g_free(png.data);
	g_free(jpg.data);
	g_free(small.data);
	free(rnd.data);
	free(bmp.data);
	thumb_shutdown();
	return tap_done();
}
