/*
 * sanitizer.c — what the sanitizers are told about the libraries that
 * render reports (report-pdf.c) and make thumbnails (thumb.c), when the
 * worker is built with them.
 *
 * fontconfig keeps caches for the life of the process, which LeakSanitizer
 * reports as leaks; glib, pango, harfbuzz, fontconfig, freetype and cairo
 * synchronise in ways ThreadSanitizer cannot see in uninstrumented
 * libraries.  Only reports inside those libraries are ignored.
 *
 * libvips runs each image pipeline on worker threads of its own, which
 * hand buffers to each other through glib, and its codecs (libjpeg,
 * libpng over zlib, liborc, lcms2, libexif) run on those threads: the
 * checker sees their memcpy() and free() calls but not what orders them,
 * and takes each for a race.  Suppressing those reports by library left a
 * thumbnail job 40 times slower (every access was still checked and each
 * report matched), and `called_from_lib:` on those libraries alone made
 * the checker see part of glib's locking and report double locks in
 * g_type_class_ref.  So, as in test-thumb.c, calls made from any
 * uninstrumented library are ignored: the accesses made by code built
 * here, and the pthread calls it makes itself, are still checked.
 *
 * Without a sanitizer these functions are never called.
 */
const char	*__lsan_default_suppressions(void);
const char	*__tsan_default_options(void);
const char	*__tsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}

/* $TSAN_OPTIONS still adds to or overrides this. */
const char *
__tsan_default_options(void)
{
	return "ignore_noninstrumented_modules=1";
}

const char *
__tsan_default_suppressions(void)
{
	return "race:libglib-2.0.so\n"
	    "race:libgobject-2.0.so\n"
	    "race:libpango\n"
	    "race:libharfbuzz.so\n"
	    "race:libfontconfig.so\n"
	    "race:libfreetype.so\n"
	    "race:libcairo.so\n";
}
