/*
 * console-sanitizer.c — what LeakSanitizer is told about curses, when
 * the console is built with it.
 *
 * ncurses keeps its screen, terminfo entry and key tables until the
 * process exits; Debian's build has no call that frees them, so
 * LeakSanitizer would report them on every exit.  Only leaks inside the
 * curses libraries are ignored.  Without a sanitizer this is never
 * called.
 */
const char	*__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:libncursesw.so\n"
	    "leak:libtinfo.so\n";
}
