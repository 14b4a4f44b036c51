/* testutil.h — file and process helpers shared by the C tests. */
#ifndef PFO3_TESTUTIL_H
#define PFO3_TESTUTIL_H

#include <stddef.h>

/* The whole file, NUL-terminated (binary-safe: *len, when not NULL, is
 * its size); NULL when it cannot be read.  Caller frees. */
char	*testutil_read(const char *path, size_t *len);
/* Writes len bytes to path (created or truncated); 0 or -1. */
int	 testutil_write(const char *path, const void *data, size_t len);
/* Runs argv (searched in PATH) with stdout to `out` (NULL: inherited)
 * and waits; returns its exit status, or -1 when it could not run or was
 * killed. */
int	 testutil_run(char *const argv[], const char *out);

#endif
