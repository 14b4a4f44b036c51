/*
 * sanitizer.c — what the sanitizers are told about the libraries that
 * render reports (report-pdf.c), when the worker is built with them.
 *
 * fontconfig keeps caches for the life of the process, which LeakSanitizer
 * reports as leaks; glib, pango, harfbuzz, fontconfig, freetype and cairo
 * synchronise in ways ThreadSanitizer cannot see in uninstrumented
 * libraries.  Only reports inside those libraries are ignored.  Without a
 * sanitizer these functions are never called.
 */
const char	*__lsan_default_suppressions(void);
const char	*__tsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
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
