/* tap.h — a tiny TAP producer for the C unit tests (automake tap-driver). */
#ifndef PFO3_TAP_H
#define PFO3_TAP_H

void	tap_plan(int n);
/* Reports one test; returns `ok` so callers can add diagnostics. */
int	tap_ok(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void	tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Compares strings; prints both on failure.  NULLs compare equal only to NULL. */
int	tap_is_str(const char *got, const char *want, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	tap_is_int(long long got, long long want, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Prints the plan if none was given, and returns the exit status. */
int	tap_done(void);

#endif
